#!/usr/bin/env bash
# Starts one node of the cluster: containerd (with the base images), the
# kubelet, kube-proxy and kube-router (NetworkPolicy only). hack/node.sh up runs this inside the node's network
# namespace and a private mount namespace, once the hub is up; everything
# started here inherits both, and outlives this script.
#
# Usage (from hack/node.sh only):
#   nsenter --net=NODE_DIR/netns unshare --mount --propagation private hack/node/start-node.sh NODE_DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 NODE_DIR (run by hack/node.sh up)" >&2; exit 2; }
DIR="$1"
NODE_HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly NODE_HACK_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$NODE_HACK_DIR/lib.sh"
# shellcheck disable=SC1091 # written by hack/node.sh up
source "$DIR/node.env"
readonly LOG_DIR="$DIR/logs" ETC="$DIR/etc"
# shellcheck source-path=SCRIPTDIR source=start-lib.sh
source "$NODE_HACK_DIR/start-lib.sh"
export KUBECACHEDIR="$DIR/kube-cache"

# Both must hold, or a mount below would land on the host.
[[ "$(readlink /proc/self/ns/net)" == "net:[$(stat -L -c %i "$NETNS_PATH")]" ]] \
  || die "start-node.sh must run inside the network namespace pinned at $NETNS_PATH (use hack/node.sh up)"
[[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ]] \
  || die "start-node.sh must run in a mount namespace of its own (use hack/node.sh up)"

# The kubelet and containerd write to fixed paths whatever their root dirs
# (/var/lib/kubelet/device-plugins, /var/log/pods, /var/lib/cni,
# /run/containerd, ...). Directories of this node cover those trees in this
# mount namespace only, so nothing lands on the host or on another node.
mount_state_dirs() {
  local target source
  for target in /var/lib /var/log /run; do
    source="$DIR/root${target}"
    mkdir -p "$source"
    mount --bind "$source" "$target"
  done
}

ctr() { "$NODE_BIN/ctr" --address /run/containerd/containerd.sock "$@"; }
# The admin kubeconfig names the API server on the hub's loopback; from a node it is the hub IP.
API_PORT="$(sed -n 's/^API_PORT=//p' "$CLUSTER_DIR/testenv.env")"
readonly API_PORT
kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" --server "https://$HUB_IP:$API_PORT" "$@"; }
node_ready() {
  [[ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

mkdir -p "$LOG_DIR"
mount_state_dirs
"$NODE_HACK_DIR/write-node-config.sh" "$DIR"

# containerd finds its shim on PATH.
export PATH="$NODE_BIN:$PATH"
start_component containerd "$NODE_BIN/containerd" --config "$ETC/containerd.toml"
wait_until containerd "containerd on /run/containerd/containerd.sock" ctr version
for image in "$IMAGE_DIR"/*.tar; do
  # Its stdout and stderr (a cgroup v1 deprecation notice) go to the log.
  ctr --namespace k8s.io images import --platform linux/amd64 "$image" >>"$LOG_DIR/containerd.log" 2>&1 \
    || die "could not import $image into containerd (log: $LOG_DIR/containerd.log)"
done
say "  ok: imported $(find "$IMAGE_DIR" -maxdepth 1 -name '*.tar' | wc -l) base images"

# The zone label is one NodeRestriction lets a kubelet set on its own Node.
start_component kubelet "$NODE_BIN/kubelet" \
  --config="$ETC/kubelet.yaml" --kubeconfig="$ETC/kubelet.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --node-labels="$ZONE_LABEL=$NODE_ZONE" --v=1
wait_until kubelet "node $NODE_NAME Ready" node_ready

start_component kube-proxy "$NODE_BIN/kube-proxy" --config="$ETC/kube-proxy.yaml" --v=1
wait_until kube-proxy "kube-proxy on $NODE_NAME healthy with its Service rules" kube_proxy_synced

# NetworkPolicy, enforced in this node's iptables (ipset for the peers). Pods
# on one node talk across cni0, a bridge: its frames pass iptables only with
# bridge-nf-call-iptables, set here rather than trusted to the default.
sysctl -qw net.bridge.bridge-nf-call-iptables=1
start_component kube-router "$NODE_BIN/kube-router" \
  --run-firewall=true --run-router=false --run-service-proxy=false \
  --kubeconfig="$ETC/kube-router.kubeconfig" --hostname-override="$NODE_NAME" \
  --service-cluster-ip-range="$SERVICE_CIDR" --health-addr=127.0.0.1 --health-port="$KUBE_ROUTER_HEALTH_PORT" --v=1
wait_until kube-router "kube-router enforcing NetworkPolicy on $NODE_NAME" \
  curl -fsS "http://127.0.0.1:$KUBE_ROUTER_HEALTH_PORT/healthz"

# hostPath PersistentVolumes for this node's pods (ZooKeeper's data), made
# here because the paths live in this node's mount namespace, and tied to
# this node by nodeAffinity. Their class binds on first use (start-hub.sh), so
# the scheduler places a pod first and its claim takes a volume of that node.
# World-writable: fsGroup does not apply to hostPath.
readonly VOLUME_COUNT=4
for ((i = 0; i < VOLUME_COUNT; i++)); do
  dir="/var/lib/dcache-volumes/pv-$i"
  mkdir -p "$dir" && chmod 0777 "$dir"
  cat <<PV
{"apiVersion": "v1", "kind": "PersistentVolume",
 "metadata": {"name": "$NODE_NAME-pv-$i", "labels": {"$ZONE_LABEL": "$NODE_ZONE"}},
 "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
  "storageClassName": "node-local", "hostPath": {"path": "$dir", "type": "Directory"},
  "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
   {"key": "kubernetes.io/hostname", "operator": "In", "values": ["$NODE_NAME"]}]}]}}}}
---
PV
done | kubectl apply -f - >/dev/null
say "  ok: $VOLUME_COUNT hostPath PersistentVolumes on $NODE_NAME"
