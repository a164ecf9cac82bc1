#!/usr/bin/env bash
# `npm test` / `yarn test`: every check CI runs, in order:
#   toolchain bootstrap -> system packages (Chromium, ClamAV) -> PostgreSQL up -> typecheck ->
#   unit/integration tests (jest, SQLite + PostgreSQL) -> browser tests (Playwright + Chromium).
# Extra arguments go to jest (e.g. `npm test -- plugins/model-scanner`).
# FG_SKIP_E2E=1 skips the browser tests (quick local runs; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
bash scripts/system-deps.sh
bash scripts/ensure-postgres.sh

export CI="${CI:-true}"
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"

reports="$PWD/node_modules/.cache/frontier-guard-reports"
rm -rf "$reports" node_modules/.cache/e2e-test-results/results.json && mkdir -p "$reports"

echo "[frontier-guard] typecheck" >&2
node node_modules/typescript/bin/tsc

echo "[frontier-guard] unit and integration tests" >&2
status=0
node node_modules/@backstage/cli/bin/backstage-cli repo test --maxWorkers=2 \
  --json --outputFile="$reports/jest.json" "$@" || status=$?

if [ -z "${FG_SKIP_E2E:-}" ]; then
  echo "[frontier-guard] browser tests" >&2
  bash scripts/e2e.sh || status=$?
fi

node scripts/test-summary.js "$reports/jest.json" node_modules/.cache/e2e-test-results/results.json
exit $status
