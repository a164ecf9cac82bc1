#!/usr/bin/env bash
# `npm start` / `yarn start`: bootstraps the toolchain, then starts the portal (frontend on :3000,
# backend on :7007) with the demo data on the embedded SQLite database under ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
mkdir -p data
echo "[frontier-guard] starting: open http://localhost:3000 (backend http://localhost:7007); first start compiles the frontend (~1-2 min)" >&2
# Call the Backstage CLI directly: `yarn start` would run this script again.
exec node node_modules/@backstage/cli/bin/backstage-cli repo start "$@"
