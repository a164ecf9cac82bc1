#!/usr/bin/env bash
# Runs a command with the pinned toolchain (bootstrapping it if needed), from the repository root.
# Used by `npm run model-scan -- ...` and `npm run audit:verify` so they work on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
exec "$@"
