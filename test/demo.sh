#!/usr/bin/env bash
# `make demo`: the system on the embedded local default. Today: the local control plane, the CRD and a sample
# ClusterConnect; later issues grow it into relay, agent, kube-aad-proxy and kubectl through the tunnel.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/node_modules/.bin:$PATH

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
[ -t 1 ] || step() { printf '\n==> %s\n' "$*"; }

step "Local control plane (real Kubernetes binaries, kwok fake node)"
test/cluster/cluster.sh up
# shellcheck source=/dev/null
source .cache/cluster/env

step "Install the ClusterConnect CRD"
kubectl apply --server-side -f crds/clusterconnect.yaml
kubectl wait --for=condition=Established crd/clusterconnects.clusterconnect.io --timeout=30s

step "Create a sample ClusterConnect"
kubectl apply -f test/demo/sample-clusterconnect.yaml

step "kubectl get clusterconnects -A"
kubectl get clusterconnects -A

cat <<MSG

The local cluster keeps running. To use it from another shell:
    source .cache/cluster/env && kubectl get clusterconnects -A
To stop it and leave nothing running:
    make cluster-down
MSG
