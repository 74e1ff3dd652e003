# Source this to use the project's Node 24 and pnpm in an interactive shell:
#   source scripts/env.sh
_kube_edge_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_kube_edge_root/.tools/node/node_modules/.bin:$_kube_edge_root/.tools/pnpm/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
unset _kube_edge_root
