#!/usr/bin/env bash
# `npm run bench`: make sure nginx, wrk and taskset are installed (apt), then run the TypeScript driver on
# the project's Node (the node devDependency, not the one on PATH). Settings: see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v taskset >/dev/null || missing+=(util-linux)

if ((${#missing[@]})); then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  # Another apt may be running (e.g. installing these very packages): let apt wait for its locks.
  apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 -y --no-install-recommends)
  echo "bench: installing ${missing[*]} with apt"
  if ! "${apt[@]}" install "${missing[@]}"; then
    "${apt[@]}" update
    "${apt[@]}" install "${missing[@]}"
  fi
fi

exec node_modules/.bin/node bench/run.ts "$@"
