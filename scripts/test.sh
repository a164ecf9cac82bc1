#!/usr/bin/env bash
# `npm test` / `yarn test`: every check CI runs, in order:
#   toolchain bootstrap -> system packages (Chromium, ClamAV) -> PostgreSQL up -> typecheck ->
#   unit/integration tests (jest, SQLite + PostgreSQL) -> browser tests (Playwright + Chromium).
# FG_SKIP_E2E=1 skips the browser tests (for quick local runs; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
bash scripts/system-deps.sh
bash scripts/ensure-postgres.sh

export CI="${CI:-true}"
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"
export FG_CLAMD_BIN="${FG_CLAMD_BIN:-$(command -v clamd || echo /usr/sbin/clamd)}"

echo "[frontier-guard] typecheck" >&2
node node_modules/.bin/tsc

echo "[frontier-guard] unit and integration tests" >&2
node node_modules/@backstage/cli/bin/backstage-cli repo test --maxWorkers=2 "$@"

if [ -z "${FG_SKIP_E2E:-}" ]; then
  echo "[frontier-guard] browser tests" >&2
  bash scripts/e2e.sh
fi
