#!/usr/bin/env bash
# Browser tests: builds the app, starts the backend on :7007 (serving the built app) on a fresh
# SQLite directory, runs Playwright with Debian's Chromium, and fails if the backend logged an
# error or a plugin startup failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh

root="$PWD"
work="$root/node_modules/.cache/frontier-guard-e2e"
rm -rf "$work" && mkdir -p "$work/data"
export FG_E2E_DATA_DIR="$work/data"
log="$work/backend.log"

if curl -sf -o /dev/null http://localhost:7007/.backstage/health/v1/liveness; then
  echo "[frontier-guard] something already listens on :7007; stop it before the browser tests" >&2
  exit 1
fi

echo "[frontier-guard] building the app" >&2
(cd packages/app && node "$root/node_modules/@backstage/cli/bin/backstage-cli" package build >"$work/app-build.log" 2>&1) ||
  { tail -50 "$work/app-build.log" >&2; exit 1; }

echo "[frontier-guard] starting the backend" >&2
# Run the backend from source without the CLI's file watcher, so nothing restarts it mid-test.
(cd packages/backend && NODE_ENV=development exec node --enable-source-maps \
  --require "$root/node_modules/@backstage/cli-node/config/nodeTransform.cjs" src/index.ts \
  --config "$root/app-config.yaml" --config "$root/app-config.e2e.yaml" >"$log" 2>&1) &
backend_pid=$!
backend_exit=0
stop_backend() {
  kill -TERM "$backend_pid" 2>/dev/null || true
  wait "$backend_pid" 2>/dev/null || backend_exit=$?
}
trap stop_backend EXIT

for i in $(seq 1 180); do
  if curl -sf -o /dev/null http://localhost:7007/.backstage/health/v1/readiness; then break; fi
  if ! kill -0 "$backend_pid" 2>/dev/null; then echo "[frontier-guard] backend exited" >&2; tail -80 "$log" >&2; exit 1; fi
  sleep 1
done
curl -sf -o /dev/null http://localhost:7007/.backstage/health/v1/readiness || { echo "[frontier-guard] backend not ready" >&2; tail -80 "$log" >&2; exit 1; }
# Let the catalog ingest the demo entities.
for i in $(seq 1 60); do
  tok=$(curl -sf -H 'x-frontier-guard-demo-user: dave' http://localhost:7007/api/auth/demo/refresh | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).backstageIdentity.token)}catch{}})') || true
  if [ -n "$tok" ]; then break; fi
  sleep 1
done

set +e
PLAYWRIGHT_URL=http://localhost:7007 node node_modules/@playwright/test/cli.js test "$@"
status=$?
set -e

stop_backend
trap - EXIT
if [ "$backend_exit" -ne 0 ]; then
  echo "[frontier-guard] the backend did not stop cleanly (exit $backend_exit)" >&2
  tail -30 "$log" >&2
  status=1
fi
# The backend must start and run with no plugin startup failure and no error-level log line.
if sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'startup failed|^[^ ]+ [^ ]+ error |"level":"error"' > "$work/backend-errors.log"; then
  echo "[frontier-guard] the backend logged errors during the browser tests:" >&2
  head -40 "$work/backend-errors.log" >&2
  status=1
fi
exit $status
