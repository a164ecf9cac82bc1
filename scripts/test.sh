#!/usr/bin/env bash
# `npm test` / `yarn test`: every check CI runs, in order:
#   toolchain bootstrap -> system packages (Chromium, ClamAV) -> PostgreSQL up -> typecheck ->
#   unit/integration tests (jest, SQLite + PostgreSQL) -> browser tests (Playwright + Chromium).
# Extra arguments go to jest (e.g. `npm test -- plugins/model-scanner`).
# FG_SKIP_E2E=1 skips the browser tests (quick local runs; CI never sets it).
# Prints what a person reads: the steps, failures and totals. Every step's full output goes to the
# reports folder (node_modules/.cache/frontier-guard-reports: tsc.log, jest.log, jest.json,
# e2e.log); FG_TEST_VERBOSE=1 prints it live instead.
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

# Runs a step with its output in the reports folder (or live with FG_TEST_VERBOSE=1).
quietly() {
  local log="$reports/$1"; shift
  if [ -n "${FG_TEST_VERBOSE:-}" ]; then "$@" 2>&1 | tee "$log"; return "${PIPESTATUS[0]}"; fi
  "$@" >"$log" 2>&1
}

echo "[frontier-guard] typecheck" >&2
quietly tsc.log node node_modules/typescript/bin/tsc || {
  grep -E 'error TS' "$reports/tsc.log" | head -50 >&2
  echo "[frontier-guard] typecheck failed (all of it: $reports/tsc.log)" >&2
  exit 1
}

echo "[frontier-guard] unit and integration tests" >&2
status=0
quietly jest.log node node_modules/@backstage/cli/bin/backstage-cli repo test --maxWorkers=2 \
  --json --outputFile="$reports/jest.json" "$@" || status=$?

if [ -z "${FG_SKIP_E2E:-}" ]; then
  echo "[frontier-guard] browser tests" >&2
  quietly e2e.log bash scripts/e2e.sh || status=$?
fi

node scripts/test-summary.js "$reports/jest.json" node_modules/.cache/e2e-test-results/results.json \
  "$reports/jest.log" "$reports/e2e.log"
exit $status
