#!/usr/bin/env bash
# `make test`: installs what it needs and runs every suite, printing how long each phase took.
# The local cluster is stopped at the end unless it was already running before (a developer's cluster stays up).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH

declare -a PHASES=()
T_START=$(date +%s)
phase() {
  local name=$1; shift
  local t0
  t0=$(date +%s)
  echo "==> $name"
  "$@"
  local took=$(( $(date +%s) - t0 ))
  PHASES+=("$(printf '%-28s %5ss' "$name" "$took")")
  echo "==> $name: ${took}s"
}
summary() {
  local rc=${1:-$?}
  echo
  echo "Phase timings:"
  for p in "${PHASES[@]}"; do echo "  $p"; done
  echo "  $(printf '%-28s %5ss' total $(( $(date +%s) - T_START )))"
  exit $rc
}
trap summary EXIT

was_running=no
test/cluster/cluster.sh status >/dev/null 2>&1 && was_running=yes
stop_cluster() { [ "$was_running" = yes ] || test/cluster/cluster.sh down; }

phase "npm ci" make --no-print-directory deps
phase "build (tsc)" make --no-print-directory build
phase "lint (eslint)" make --no-print-directory lint
phase "unit tests" make --no-print-directory test-unit
phase "Go-built binaries" test/cluster/build-binaries.sh
phase "test tools (Debian)" test/install-test-tools.sh
trap 'rc=$?; stop_cluster || rc=1; summary $rc' EXIT
phase "cluster up" test/cluster/cluster.sh up
# Integration tests need no cluster, but drive the real kubectl the cluster phase links into .cache/cluster/bin.
phase "integration tests" mocha --config test/integration/.mocharc.json
phase "e2e tests" mocha --config test/e2e/.mocharc.json
# The README's first command, as CI runs it (exits after its checks, non-zero on failure).
phase "make demo (CI=true)" env CI=true test/demo.sh
