#!/usr/bin/env bash
# `npm run test:production`: what packages/backend/Dockerfile and deploy/model-scanner/Dockerfile
# do, without Docker, in a temporary folder, then the production artifact is started and checked:
#   1. build the backend bundle (yarn build:backend; with --tsc also `yarn tsc` first, as the
#      Dockerfile does; CI skips it because `npm test` has just typechecked)
#   2. unpack skeleton.tar.gz, `yarn workspaces focus --all --production` (no dev dependencies,
#      no install scripts), unpack bundle.tar.gz, add app-config.production.yaml, catalog-info.yaml, catalog/policies
#   3. make the folder read-only (the image runs with a read-only root file system)
#   4. scripts/test-production-checks.js: two `node packages/backend --config
#      app-config.production.yaml` processes, NODE_ENV=production, on one fresh PostgreSQL prefix:
#      ready in time, scheduled work run once, no demo sign-in, no stack traces, SIGTERM exits 0
#   5. the model-scanner image's files (bundled CLI + 7-Zip WASM only) scan a clean and a
#      malicious file with the right exit codes, from a read-only folder
# Output: the steps and the verdict; logs in node_modules/.cache/frontier-guard-production.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${FG_TOOLCHAIN_READY:-}" ] || . scripts/toolchain.sh
bash scripts/ensure-postgres.sh

root="$PWD"
work="$root/node_modules/.cache/frontier-guard-production"
app="$work/app"
scanner="$work/scanner"
if [ -d "$work" ]; then chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; fi
mkdir -p "$work/tmp" "$work/logs"
started=$(date +%s)
step() { echo "[test:production] $* ($(( $(date +%s) - started )) s)" >&2; }
fail() { echo "[test:production] FAILED: $*" >&2; exit 1; }
run_logged() {
  local log="$work/logs/$1"; shift
  "$@" >"$log" 2>&1 || { tail -40 "$log" >&2; fail "$* (log: $log)"; }
}

if [ "${1:-}" = "--tsc" ]; then
  step "typecheck (yarn tsc)"
  run_logged tsc.log yarn tsc
fi

step "backend bundle (yarn build:backend)"
run_logged build.log yarn build:backend

step "skeleton + production dependencies (yarn workspaces focus --all --production)"
mkdir -p "$app"
tar xzf packages/backend/dist/skeleton.tar.gz -C "$app"
cp package.json yarn.lock backstage.json .yarnrc.yml "$app/"
node deploy/strip-workspace-scripts.js "$app" >"$work/logs/strip-scripts.log"
# The repository's Yarn cache holds every package already (the image downloads them instead).
# No install scripts, as in the image: nothing is compiled (better-sqlite3 is left out, PostgreSQL
# is the production database), and the workspaces' own install scripts are stripped (above).
(cd "$app" && YARN_CACHE_FOLDER="$root/.yarn/cache" YARN_ENABLE_IMMUTABLE_INSTALLS=false YARN_ENABLE_SCRIPTS=false \
  run_logged install.log yarn workspaces focus --all --production)

step "bundle, production config, policies"
tar xzf packages/backend/dist/bundle.tar.gz -C "$app"
cp app-config.production.yaml catalog-info.yaml "$app/"
mkdir -p "$app/catalog" && cp -R catalog/policies "$app/catalog/policies"

# Dev-only packages must not be there (so nothing at run time can need them).
# (typescript is not on this list: @backstage/config-loader reads config.d.ts schemas at run time.)
for dev in @backstage/cli @backstage/backend-test-utils jest supertest @playwright/test esbuild; do
  [ ! -e "$app/node_modules/$dev" ] || fail "dev-only package $dev was installed by the production install"
done

step "model-scanner image files"
mkdir -p "$scanner/dist-cli" "$scanner/node_modules"
run_logged scanner-build.log node plugins/model-scanner/scripts/build-cli.js
cp plugins/model-scanner/dist-cli/model-scan.cjs "$scanner/dist-cli/"
cp deploy/model-scanner/entry.cjs "$scanner/"
cp -R node_modules/7z-wasm node_modules/readline-sync "$scanner/node_modules/"

# Read-only, as in the images (readOnlyRootFilesystem); the backend writes only to TMPDIR and
# MODEL_SCAN_WORK_DIR.
chmod -R a-w "$app" "$scanner"

step "starting two production backends on PostgreSQL"
status=0
FG_PRODUCTION_APP="$app" FG_PRODUCTION_SCANNER="$scanner" FG_PRODUCTION_WORK="$work" \
  node scripts/test-production-checks.js || status=$?
chmod -R u+w "$work" 2>/dev/null || true
[ "$status" -eq 0 ] || fail "checks (logs: $work/logs)"
step "passed"
