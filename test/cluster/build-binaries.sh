#!/usr/bin/env bash
# Builds (once per version) the real control plane the tests run against and caches it outside the checkout:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd from kubebuild/, kwok, kwokctl and helm.
source "$(dirname "$0")/lib.sh"

build_kubernetes() {
  local stamp=$KUBE_BIN_DIR/.built-from
  local want
  want=$(cat "$CLUSTER_DIR/kubebuild/go.mod" "$CLUSTER_DIR/kubebuild/go.sum" "$CLUSTER_DIR"/kubebuild/cmd/*/main.go | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "    Kubernetes $KUBE_VERSION binaries cached in $KUBE_BIN_DIR"
    return
  fi
  require_go
  say "    building Kubernetes $KUBE_VERSION and etcd from Go modules (first time: 10-20 min, > 1 GB of modules)"
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version
  local date ldflags
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldflags="-s -w"
  for p in $pkg $cpkg; do
    ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  local tmp=$KUBE_BIN_DIR.tmp
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$CLUSTER_DIR/kubebuild" && CGO_ENABLED=0 run_with_heartbeat "go build (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd)" \
    go build -trimpath -ldflags "$ldflags" -o "$tmp/" ./cmd/...)
  echo "$want" >"$tmp/.built-from"
  rm -rf "$KUBE_BIN_DIR" && mv "$tmp" "$KUBE_BIN_DIR"
}

# go_install_cached DIR VERSION LDFLAGS PKG...: 'go install' PKG@VERSION into DIR unless already there.
go_install_cached() {
  local dir=$1 version=$2 ldflags=$3; shift 3
  local names=() pkg
  for pkg in "$@"; do names+=("$(basename "$pkg")"); done
  local missing=0 n
  for n in "${names[@]}"; do [ -x "$dir/$n" ] || missing=1; done
  if [ $missing = 0 ]; then
    say "    ${names[*]} $version cached in $dir"
    return
  fi
  require_go
  local tmp=$dir.tmp
  rm -rf "$tmp" && mkdir -p "$tmp"
  local args=()
  for pkg in "$@"; do args+=("$pkg@$version"); done
  GOBIN=$tmp CGO_ENABLED=0 run_with_heartbeat "go install ${names[*]} $version" go install -trimpath -ldflags "-s -w $ldflags" "${args[@]}"
  rm -rf "$dir" && mv "$tmp" "$dir"
}

phase_start "Go-built binaries (cache: $CACHE_ROOT)"
mkdir -p "$CACHE_ROOT"
build_kubernetes
# Both projects stamp their version through ldflags in their own Makefiles; do the same so --version is honest.
go_install_cached "$KWOK_BIN_DIR" "$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
  sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
go_install_cached "$HELM_BIN_DIR" "$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  helm.sh/helm/v3/cmd/helm
phase_end
