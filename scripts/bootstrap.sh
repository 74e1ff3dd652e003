#!/usr/bin/env bash
# Provides everything kube-edge needs on a fresh Debian machine, idempotently:
#   - Node 24 (the machine's own if >= 24, else node@24 from the npm registry into .tools/)
#   - the pinned pnpm (into .tools/)
#   - workspace dependencies from the lockfile
#   - Debian packages the tests run for real: nginx, etcd-server, and the Lua modules of the
#     dispatcher's Lua mode (libnginx-mod-http-lua, lua-resty-core, lua-resty-lrucache)
# Quiet when everything is already there. Prints `export PATH=...` hints with --print-path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_VERSION="24.21.0"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")"
APT_PACKAGES=(nginx etcd-server libnginx-mod-http-lua lua-resty-core lua-resty-lrucache)

log() { printf 'bootstrap: %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node 24
export PATH="$TOOLS/node/node_modules/.bin:$TOOLS/pnpm/node_modules/.bin:$PATH"
if ! command -v node >/dev/null 2>&1 || [ "$(node_major node)" -lt 24 ]; then
  log "installing node@$NODE_VERSION into .tools/node (machine has $(node --version 2>/dev/null || echo none))"
  mkdir -p "$TOOLS/node"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "node@$NODE_VERSION" >/dev/null 2>&1 \
    || npm install --no-audit --no-fund --prefix "$TOOLS/node" "node@$NODE_VERSION"
  hash -r
  [ "$(node_major node)" -ge 24 ] || { log "node $NODE_VERSION did not install"; exit 1; }
fi

# 2. pnpm (npm install, not corepack: corepack fails against this registry without signatures)
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  log "installing pnpm@$PNPM_VERSION into .tools/pnpm"
  mkdir -p "$TOOLS/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null 2>&1 \
    || npm install --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION"
  hash -r
fi

# 3. workspace dependencies, only when the lockfile or a manifest changed since the last install
stamp="$ROOT/node_modules/.kube-edge-install-stamp"
want="$(cat "$ROOT"/pnpm-lock.yaml "$ROOT"/pnpm-workspace.yaml "$ROOT"/package.json "$ROOT"/packages/*/package.json \
  "$ROOT"/apps/*/package.json 2>/dev/null | sha256sum | cut -d' ' -f1 || true)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing workspace dependencies"
  # CI installs exactly the lockfile; a developer's install updates it after a manifest change.
  frozen=--frozen-lockfile
  if [ "${CI:-}" != "true" ] || [ ! -f "$ROOT/pnpm-lock.yaml" ]; then frozen=--no-frozen-lockfile; fi
  out="$(mktemp)"
  if ! (cd "$ROOT" && pnpm install "$frozen" --config.confirmModulesPurge=false >"$out" 2>&1); then
    cat "$out" >&2
    rm -f "$out"
    log "pnpm install failed"
    exit 1
  fi
  rm -f "$out"
  echo "$want" >"$stamp"
fi

# 4. Debian packages the tests run for real
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
# the dispatcher's Lua mode (its tests load these from Debian's paths)
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || missing+=(libnginx-mod-http-lua)
[ -f /usr/share/lua/5.1/resty/core.lua ] || missing+=(lua-resty-core)
[ -f /usr/share/lua/5.1/resty/lrucache.lua ] || missing+=(lua-resty-lrucache)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # the packages start system services; tests run their own instances on free ports
    for svc in nginx etcd; do
      if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
      service "$svc" stop >/dev/null 2>&1 || true
    done
  else
    log "missing Debian packages; as root run: apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
