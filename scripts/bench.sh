#!/usr/bin/env bash
# `npm run bench`: every benchmark under bench/, each printing its figures next to the baseline
# measured in the same run. `npm run bench -- model-scanner` runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
bash scripts/ensure-postgres.sh
only="${1:-}"
for dir in bench/*/; do
  name="$(basename "$dir")"
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  [ -f "$dir/run.js" ] || continue
  echo "== bench/$name" >&2
  node "$dir/run.js"
done
