#!/usr/bin/env bash
# The local control plane the tests run against: real Kubernetes binaries started by kwokctl's binary runtime,
# with one kwok fake node. Usage: cluster.sh up|down|status
source "$(dirname "$0")/lib.sh"

export KWOK_WORKDIR=$STATE_DIR/kwok
KUBECONFIG_PATH=$STATE_DIR/kubeconfig
KUBECTL=$KUBE_BIN_DIR/kubectl
KWOKCTL=$KWOK_BIN_DIR/kwokctl

cluster_exists() { [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ]; }

cluster_healthy() {
  [ -f "$KUBECONFIG_PATH" ] && [ "$("$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" --request-timeout=3s get --raw /readyz 2>/dev/null)" = ok ]
}

# Processes started from this checkout's cluster folder; none may outlive `down`.
leftover_pids() { pgrep -f -- "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" || true; }

# Tokens for the static token file: a user with no rights at all, for tests of RBAC denials.
# Written once per cluster; tests read the token from $STATE_DIR/tokens/<user>.
write_token_file() {
  mkdir -p "$STATE_DIR/tokens"
  local csv=$STATE_DIR/tokens.csv user token
  : >"$csv"
  for user in nobody; do
    token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '%s' "$token" >"$STATE_DIR/tokens/$user"
    printf '%s,clusterconnect-test-%s,uid-%s\n' "$token" "$user" "$user" >>"$csv"
  done
  chmod 600 "$csv" "$STATE_DIR"/tokens/*
}

write_kwokctl_config() {
  cat >"$STATE_DIR/kwokctl.yaml" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  kubeVersion: $KUBE_VERSION
  kubectlBinary: $KUBECTL
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - key: token-auth-file
        value: $STATE_DIR/tokens.csv
YAML
}

# What a person sources to use this cluster: its kubeconfig and the kubectl/helm it was tested with.
write_env() {
  mkdir -p "$STATE_DIR/bin"
  ln -sf "$KUBECTL" "$STATE_DIR/bin/kubectl"
  ln -sf "$HELM_BIN_DIR/helm" "$STATE_DIR/bin/helm"
  ln -sf "$KWOKCTL" "$STATE_DIR/bin/kwokctl"
  cat >"$STATE_DIR/env" <<ENV
# source this file to use the local ClusterConnect test cluster
export KUBECONFIG="$KUBECONFIG_PATH"
export PATH="$STATE_DIR/bin:\$PATH"
ENV
}

# What kwok's fake kubelet does for exec, logs and port-forward on every pod, so kubectl exec / logs -f /
# port-forward work end to end: exec runs the command on this host (in $STATE_DIR/exec; a test cluster only),
# logs come from a CRI-format file tests append to, port-forward reaches a local port tests listen on.
apply_pod_io() {
  mkdir -p "$STATE_DIR/exec"
  : >"$STATE_DIR/pod.log"
  local target
  target=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "$target" >"$STATE_DIR/port-forward-target"
  "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" apply -f - >/dev/null <<YAML
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: clusterconnect-test-exec}
spec:
  execs:
    - local: {workDir: $STATE_DIR/exec}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: clusterconnect-test-logs}
spec:
  logs:
    - logsFile: $STATE_DIR/pod.log
      follow: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata: {name: clusterconnect-test-port-forward}
spec:
  forwards:
    - target: {port: $target, address: 127.0.0.1}
YAML
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

up() {
  "$CLUSTER_DIR/build-binaries.sh"
  phase_start "cluster up ($CLUSTER_NAME, Kubernetes $KUBE_VERSION)"
  mkdir -p "$STATE_DIR"
  if cluster_exists; then
    if cluster_healthy; then
      if "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" get crd clusterexecs.kwok.x-k8s.io >/dev/null 2>&1; then
        write_env
        say "    cluster $CLUSTER_NAME is already running; KUBECONFIG=$KUBECONFIG_PATH"
        phase_end
        return
      fi
      say "    cluster $CLUSTER_NAME was created without kwok's exec/logs/port-forward support; recreating it"
    else
      say "    found a stale cluster $CLUSTER_NAME in $KWOK_WORKDIR (not answering); deleting and recreating it"
    fi
    down_quietly
  fi
  local port_args=()
  if [ -n "${CLUSTERCONNECT_APISERVER_PORT:-}" ]; then
    port_in_use "$CLUSTERCONNECT_APISERVER_PORT" &&
      die "port $CLUSTERCONNECT_APISERVER_PORT (CLUSTERCONNECT_APISERVER_PORT) is in use: free it or unset the variable to let a free port be chosen"
    port_args=(--kube-apiserver-port "$CLUSTERCONNECT_APISERVER_PORT")
  fi
  write_token_file
  write_kwokctl_config
  local log=$STATE_DIR/kwokctl-create.log
  if ! "$KWOKCTL" create cluster \
      --name "$CLUSTER_NAME" \
      --runtime binary \
      --config "$STATE_DIR/kwokctl.yaml" \
      --kubeconfig "$KUBECONFIG_PATH" \
      --kube-authorization \
      --kube-admission \
      --kube-apiserver-binary "$KUBE_BIN_DIR/kube-apiserver" \
      --kube-controller-manager-binary "$KUBE_BIN_DIR/kube-controller-manager" \
      --kube-scheduler-binary "$KUBE_BIN_DIR/kube-scheduler" \
      --etcd-binary "$KUBE_BIN_DIR/etcd" \
      --kwok-controller-binary "$KWOK_BIN_DIR/kwok" \
      --enable-crds=ClusterExec,ClusterLogs,ClusterAttach,ClusterPortForward \
      "${port_args[@]}" \
      --wait 2m >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    down_quietly
    die "kwokctl could not start the cluster (full log: $log)"
  fi
  "$KWOKCTL" --name "$CLUSTER_NAME" scale node --replicas 1 >>"$log" 2>&1 ||
    die "kwokctl could not create the fake node (full log: $log)"
  "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" wait --for=condition=Ready node --all --timeout=60s >/dev/null ||
    die "the kwok node did not become Ready within 60s (log: $log)"
  apply_pod_io
  write_env
  say "    apiserver: $("$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
  say "    use it:    source .cache/cluster/env && kubectl get nodes"
  phase_end
}

down_quietly() {
  if cluster_exists; then
    "$KWOKCTL" delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
  fi
  local pids
  pids=$(leftover_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    sleep 1
    pids=$(leftover_pids)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  fi
  rm -rf "${KWOK_WORKDIR:?}/clusters/$CLUSTER_NAME"
}

down() {
  if ! cluster_exists && [ -z "$(leftover_pids)" ]; then
    say "==> cluster $CLUSTER_NAME is not running"
    return
  fi
  phase_start "cluster down ($CLUSTER_NAME)"
  down_quietly
  [ -z "$(leftover_pids)" ] || die "processes of cluster $CLUSTER_NAME survived: $(leftover_pids | tr '\n' ' ')— kill them by hand"
  rm -f "$KUBECONFIG_PATH"
  phase_end
}

status() {
  if cluster_exists && cluster_healthy; then
    say "cluster $CLUSTER_NAME is running: $("$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" get --raw /version | tr -d '\n ' | cut -c1-80)…"
  elif cluster_exists; then
    say "cluster $CLUSTER_NAME exists but does not answer: run 'make cluster-up' to recreate it"; exit 1
  else
    say "cluster $CLUSTER_NAME is not running: run 'make cluster-up'"; exit 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
