#!/usr/bin/env bash
# Runs the public HTTP cache test suite (http-tests/cache-tests, https://cache-tests.fyi, npm package
# http-cache-tests) against a real gateway with the cache policy on a catch-all route, and prints the
# summary plus every test that did not pass. Nothing of the suite is committed: it is fetched into .tmp/.
#   bash scripts/cache-tests.sh              # whole suite (about a minute)
#   bash scripts/cache-tests.sh <test-id>    # one test, with the requests and responses it saw
#   STORE=redis bash scripts/cache-tests.sh  # the shared Redis store instead of memory
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.4.5
DIR=.tmp/cache-tests
NODE=node_modules/.bin/node
ORIGIN_PORT=${ORIGIN_PORT:-18000}
GW_PORT=${GW_PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-18081}

if [[ ! -f $DIR/package/cli.mjs ]]; then
  mkdir -p "$DIR"
  (cd "$DIR" && npm pack --silent "http-cache-tests@$VERSION" >/dev/null && tar xzf "http-cache-tests-$VERSION.tgz")
  # Only what the command-line runner needs (the package also lists npm 6 and browser assets).
  (cd "$DIR/package" && npm install --silent --no-save --omit=dev --ignore-scripts --no-package-lock \
    node-fetch@2.7.0 liquidjs@9.43.0 >/dev/null)
fi

STORE=${STORE:-memory}
CONFIG=$DIR/gateway.yaml
cat >"$CONFIG" <<EOF
version: 1
listeners:
  - { name: public, address: 127.0.0.1, port: $GW_PORT }
admin: { address: 127.0.0.1, port: $ADMIN_PORT }
redis: { url: "redis://127.0.0.1:6379", prefix: "cache-tests-$$:" }
upstreams:
  - name: origin
    targets: [{ url: "http://127.0.0.1:$ORIGIN_PORT" }]
routes:
  - name: all
    match: { path: / }
    upstream: origin
    policies:
      cache: { store: $STORE }
log: { level: warn, accessLog: false }
EOF

cleanup() {
  [[ -n ${ORIGIN_PID:-} ]] && kill "$ORIGIN_PID" 2>/dev/null || true
  [[ -n ${GW_PID:-} ]] && kill "$GW_PID" 2>/dev/null || true
}
trap cleanup EXIT

(cd "$DIR/package" && npm_config_port=$ORIGIN_PORT npm_config_protocol=http npm_config_pidfile=/dev/null \
  exec "$OLDPWD/$NODE" server/server.mjs) >"$DIR/origin.log" 2>&1 &
ORIGIN_PID=$!
$NODE src/cli.ts start --config "$CONFIG" >"$DIR/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

cd "$DIR/package"
if [[ $# -gt 0 ]]; then
  npm_config_base="http://127.0.0.1:$GW_PORT" npm_config_id="$1" "$OLDPWD/$NODE" --no-warnings cli.mjs
  exit 0
fi
npm_config_base="http://127.0.0.1:$GW_PORT" npm_package_config_id="" "$OLDPWD/$NODE" --no-warnings cli.mjs \
  >"../results-$STORE.json"
cp "$OLDPWD/scripts/cache-tests-summary.mjs" summary-cli.mjs
"$OLDPWD/$NODE" --no-warnings summary-cli.mjs "../results-$STORE.json"
