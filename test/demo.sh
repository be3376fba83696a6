#!/usr/bin/env bash
# `make demo`: the whole system on the embedded local default — a real Kubernetes 1.34 control plane (kwok nodes),
# the Helm chart, a relay, the operator, the agent and kube-aad-proxy it creates, the client proxy, and kubectl
# through all of it. Ctrl+C cleans up; with CI=true it exits after its checks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH

printf '\n==> Local control plane (real Kubernetes binaries, kwok fake node)\n'
test/cluster/cluster.sh up
exec node --enable-source-maps dist/test/demo/demo.js
