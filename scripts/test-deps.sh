#!/usr/bin/env bash
# System tools the tests use besides npm packages: openssl (test certificates), promtool (checks the
# Prometheus exposition) and redis-server (private Cluster and Sentinel instances for the Redis store's
# topology tests; the shared Redis at 127.0.0.1:6379 is the machine's). Installs what is missing with apt when it can; runs before `npm test`.
set -euo pipefail
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v promtool >/dev/null || missing+=(prometheus)
command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "test-deps: please install ${missing[*]} (Debian packages); the tests need them" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
