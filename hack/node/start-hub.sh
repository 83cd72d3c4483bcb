#!/usr/bin/env bash
# Starts the hub of the cluster: the control plane, the hub's kube-proxy,
# CoreDNS and metrics-server. hack/node.sh up runs this inside the hub's
# network namespace; everything started here inherits it, and outlives this
# script. The nodes come after (start-node.sh).
#
# Usage (from hack/node.sh only):
#   nsenter --net=DIR/netns hack/node/start-hub.sh DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR (run by hack/node.sh up)" >&2; exit 2; }
DIR="$1"
NODE_HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly NODE_HACK_DIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$NODE_HACK_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR source=start-lib.sh
source "$NODE_HACK_DIR/start-lib.sh"
readonly LOG_DIR="$DIR/logs" ETC="$DIR/hub/etc"
K8S_BIN="$(sed -n 's/^K8S_BIN=//p' "$DIR/cluster.env")"
NODE_BIN="$(sed -n 's/^NODE_BIN=//p' "$DIR/cluster.env")"
readonly K8S_BIN NODE_BIN
export KUBECACHEDIR="$DIR/kube-cache"

[[ "$(readlink /proc/self/ns/net)" == "net:[$(stat -L -c %i "$DIR/netns")]" ]] \
  || die "start-hub.sh must run inside the hub's network namespace pinned at $DIR/netns (use hack/node.sh up)"

kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

mkdir -p "$LOG_DIR"
# The node lifecycle controller notices a silent node within 20 s, and pods on
# a node that is not ready or unreachable are evicted 30 s later, not 300 s
# (hack/node/README.md, "Failure timings").
TESTENV_NODE_IP="$HUB_IP" TESTENV_NODE_MONITOR_GRACE_PERIOD=20s TESTENV_POD_EVICTION_SECONDS=30 \
  "$NODE_HACK_DIR/../testenv.sh" up "$DIR"
"$NODE_HACK_DIR/write-hub-config.sh" "$DIR"

# The default class: the nodes' hostPath volumes (start-node.sh), bound once a
# pod is scheduled, so a claim never pins a pod to a node the scheduler would
# not have chosen (ZooKeeper's members spread over zones).
kubectl apply -f - >/dev/null <<SC
{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
 "metadata": {"name": "node-local", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
 "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Retain"}
SC

kubectl apply -f "$ETC/kube-router-rbac.yaml" >/dev/null

start_component kube-proxy "$NODE_BIN/kube-proxy" --config="$ETC/kube-proxy.yaml" --v=1
wait_until kube-proxy "the hub's kube-proxy live with its Service rules" kube_proxy_synced livez

# The cluster DNS, as a process rather than a pod: it needs no image and is up before any pod.
start_component coredns "$NODE_BIN/coredns" -conf "$ETC/Corefile"
wait_until coredns "CoreDNS serving cluster names on $HUB_IP:53" curl -fsS http://127.0.0.1:8181/ready

# The resource metrics API (metrics.k8s.io: kubectl top, HorizontalPodAutoscalers),
# also a process on the hub IP. Its RBAC goes in first: at start it reads the
# front-proxy CA from kube-system, and without it would trust no aggregator.
kubectl apply -f "$ETC/metrics-server.yaml" >/dev/null
say "  ok: metrics-server's RBAC, Service, EndpointSlice and APIService v1beta1.metrics.k8s.io"
# A short resolution (the least it accepts is 10s) so that HPAs in tests see
# a pod's CPU within half a minute; the kubelets' serving certificates are
# from the control plane's CA (write-node-config.sh), so its TLS is verified.
start_component metrics-server "$NODE_BIN/metrics-server" \
  --kubeconfig="$ETC/metrics-server.kubeconfig" \
  --authentication-kubeconfig="$ETC/metrics-server.kubeconfig" \
  --authorization-kubeconfig="$ETC/metrics-server.kubeconfig" \
  --bind-address="$HUB_IP" --secure-port="$METRICS_SERVER_PORT" \
  --tls-cert-file="$ETC/pki/metrics-server-serving.crt" --tls-private-key-file="$ETC/pki/metrics-server-serving.key" \
  --kubelet-certificate-authority="$DIR/pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --metric-resolution=15s
wait_until metrics-server "metrics API answering through the aggregator" \
  kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes
