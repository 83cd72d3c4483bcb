#!/usr/bin/env bash
# Starts the whole one-node cluster. hack/node.sh up runs this inside the
# node's network namespace and a private mount namespace; everything started
# here inherits both, and outlives this script.
#
# Usage (from hack/node.sh only):
#   nsenter --net=DIR/netns unshare --mount --propagation private hack/node/start.sh DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR (run by hack/node.sh up)" >&2; exit 2; }
DIR="$1"
NODE_HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly NODE_HACK_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$NODE_HACK_DIR/lib.sh"
# shellcheck disable=SC1091 # written by hack/node.sh up
source "$DIR/node.env"
readonly LOG_DIR="$DIR/logs" ETC="$DIR/node/etc"
readonly READY_TIMEOUT_SECONDS="${NODE_READY_TIMEOUT_SECONDS:-180}"
# kubectl's discovery cache, here rather than in ~/.kube.
export KUBECACHEDIR="$DIR/kube-cache"

# Both must hold, or a mount below would land on the host.
[[ "$(readlink /proc/self/ns/net)" == "net:[$(stat -L -c %i "$NETNS_PATH")]" ]] \
  || die "start.sh must run inside the network namespace pinned at $NETNS_PATH (use hack/node.sh up)"
[[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ]] \
  || die "start.sh must run in a mount namespace of its own (use hack/node.sh up)"

# The kubelet and containerd write to fixed paths whatever their root dirs
# (/var/lib/kubelet/device-plugins, /var/log/pods, /var/lib/cni,
# /run/containerd, ...). Directories of this node cover those trees in this
# mount namespace only, so nothing lands on the host.
mount_state_dirs() {
  local target source
  for target in /var/lib /var/log /run; do
    source="$DIR/node/root${target}"
    mkdir -p "$source"
    mount --bind "$source" "$target"
  done
}

start_component() {
  local name="$1"; shift
  say "starting $name"
  echo "----- $(date -u +%FT%TZ) node up: starting $name" >>"$LOG_DIR/$name.log"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  await_exec "$name"
}

wait_until() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS)) from_ms
  from_ms="$(now_ms)"
  until "$@" >/dev/null 2>&1; do
    if ! live_pid_of "$name" >/dev/null; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited while waiting for $what (log: $LOG_DIR/$name.log)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "timed out after ${READY_TIMEOUT_SECONDS}s waiting for $what (log: $LOG_DIR/$name.log)"
    fi
    sleep 0.25
  done
  say "  ok: $what (after $(( $(now_ms) - from_ms )) ms)"
}

ctr() { "$NODE_BIN/ctr" --address /run/containerd/containerd.sock "$@"; }
kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }
node_ready() {
  [[ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
# kube-proxy has written the Service rules once it made this chain.
kube_proxy_synced() {
  curl -fsS http://127.0.0.1:10256/healthz >/dev/null && iptables -t nat -S KUBE-SERVICES >/dev/null
}

mkdir -p "$LOG_DIR"
mount_state_dirs

TESTENV_NODE_IP="$NODE_IP" "$NODE_HACK_DIR/../testenv.sh" up "$DIR"
"$NODE_HACK_DIR/write-config.sh" "$DIR"

# containerd finds its shim on PATH.
export PATH="$NODE_BIN:$PATH"
start_component containerd "$NODE_BIN/containerd" --config "$ETC/containerd.toml"
wait_until containerd "containerd on /run/containerd/containerd.sock" ctr version
for image in "$IMAGE_DIR"/*.tar; do
  # Its stdout and stderr (a cgroup v1 deprecation notice) go to the log.
  ctr --namespace k8s.io images import --platform linux/amd64 "$image" >>"$LOG_DIR/containerd.log" 2>&1 \
    || die "could not import $image into containerd (log: $LOG_DIR/containerd.log)"
  say "  ok: imported $image"
done

start_component kubelet "$NODE_BIN/kubelet" \
  --config="$ETC/kubelet.yaml" --kubeconfig="$ETC/kubelet.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
wait_until kubelet "node $NODE_NAME Ready" node_ready

start_component kube-proxy "$NODE_BIN/kube-proxy" --config="$ETC/kube-proxy.yaml" --v=1
wait_until kube-proxy "kube-proxy healthy with its Service rules" kube_proxy_synced

# No storage provisioner here: a few hostPath PersistentVolumes with no class
# stand in, which PVCs that name no class bind to (ZooKeeper's data). They are
# world-writable because fsGroup does not apply to hostPath.
readonly VOLUME_COUNT=8
make_volumes() {
  local i dir
  for ((i = 0; i < VOLUME_COUNT; i++)); do
    dir="/var/lib/dcache-volumes/pv-$i"
    mkdir -p "$dir" && chmod 0777 "$dir"
    printf '{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"dcache-node-pv-%s"},"spec":{"capacity":{"storage":"5Gi"},"accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","storageClassName":"","hostPath":{"path":"%s","type":"Directory"}}}' \
      "$i" "$dir"
    echo '---'
  done | kubectl apply -f - >/dev/null
  say "  ok: $VOLUME_COUNT hostPath PersistentVolumes"
}
make_volumes

# The cluster DNS, as a process rather than a pod: it needs no image and is up before any pod.
start_component coredns "$NODE_BIN/coredns" -conf "$ETC/Corefile"
wait_until coredns "CoreDNS serving cluster names on $NODE_IP:53" curl -fsS http://127.0.0.1:8181/ready

# The resource metrics API (metrics.k8s.io: kubectl top, HorizontalPodAutoscalers),
# also a process on the node IP. Its RBAC goes in first: at start it reads the
# front-proxy CA from kube-system, and without it would trust no aggregator.
kubectl apply -f "$ETC/metrics-server.yaml" >/dev/null
say "  ok: metrics-server's RBAC, Service, EndpointSlice and APIService v1beta1.metrics.k8s.io"
# A short resolution (the least it accepts is 10s) so that HPAs in tests see
# a pod's CPU within half a minute; the kubelet's serving certificate is from
# the control plane's CA (write-config.sh), so its TLS is verified.
start_component metrics-server "$NODE_BIN/metrics-server" \
  --kubeconfig="$ETC/metrics-server.kubeconfig" \
  --authentication-kubeconfig="$ETC/metrics-server.kubeconfig" \
  --authorization-kubeconfig="$ETC/metrics-server.kubeconfig" \
  --bind-address="$NODE_IP" --secure-port="$METRICS_SERVER_PORT" \
  --tls-cert-file="$ETC/pki/metrics-server-serving.crt" --tls-private-key-file="$ETC/pki/metrics-server-serving.key" \
  --kubelet-certificate-authority="$DIR/pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --metric-resolution=15s
wait_until metrics-server "metrics API answering through the aggregator" \
  kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes
