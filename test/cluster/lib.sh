# Shared by the cluster scripts: versions, cache locations, one-line messages.
# shellcheck shell=bash
set -euo pipefail

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_DIR/../.." && pwd)
# shellcheck source=versions.env
source "$CLUSTER_DIR/versions.env"

# Built binaries live outside the checkout so every clone on this machine reuses them.
CACHE_ROOT=${CLUSTERCONNECT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterconnect}
KUBE_BIN_DIR=$CACHE_ROOT/kubernetes-$KUBE_VERSION/bin
KWOK_BIN_DIR=$CACHE_ROOT/kwok-$KWOK_VERSION/bin
HELM_BIN_DIR=$CACHE_ROOT/helm-$HELM_VERSION/bin

# Per-checkout state: the running cluster, its kubeconfig, and the env file people source.
STATE_DIR=$REPO_ROOT/.cache/cluster
CLUSTER_NAME=${CLUSTERCONNECT_CLUSTER_NAME:-clusterconnect}

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_tty() { [ -t 1 ]; }

# Prints how long a phase took; CI logs read these to budget the run.
phase_start() { PHASE_NAME=$1; PHASE_T0=$(date +%s); say "==> $PHASE_NAME"; }
phase_end() { say "==> $PHASE_NAME: done in $(( $(date +%s) - PHASE_T0 ))s"; }

require_go() {
  command -v go >/dev/null 2>&1 || die "the Go toolchain is not installed: install Go 1.24 or newer and put 'go' on PATH"
  local v
  v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  case "$v" in
    1.2[4-9]*|1.[3-9][0-9]*|[2-9].*) ;;
    *) die "Go $v is too old to build Kubernetes ${KUBE_VERSION}: install Go 1.24 or newer" ;;
  esac
}

# Runs a long command; on a terminal prints a heartbeat so a person sees it is alive, elsewhere stays quiet.
run_with_heartbeat() {
  local label=$1; shift
  local log
  log=$(mktemp)
  "$@" >"$log" 2>&1 &
  local pid=$! t0
  t0=$(date +%s)
  if is_tty; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r    %s… %ss ' "$label" "$(( $(date +%s) - t0 ))"
      sleep 2
    done
    printf '\n'
  fi
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "$label failed (the last lines of its output are above)"
  fi
  rm -f "$log"
}
