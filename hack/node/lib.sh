# shellcheck shell=bash disable=SC2034 # constants for the scripts that source this
# Sourced by hack/node.sh and the scripts in hack/node/: the cluster's fixed
# addresses and names, messages, and the pid files of its processes.
# Expects DIR (absolute) to be set: the cluster's directory, or for the
# scripts that run one node, that node's directory.

# Every address below exists only inside the cluster's network namespaces.
# The hub holds the control plane, CoreDNS and metrics-server; each node
# reaches it, and every other node, over a veth of its own (network.sh).
readonly HUB_IP=10.10.0.254
readonly HUB_NAME=dcache-hub
# Nodes are named by letter, one zone each: node a is dcache-node-a in zone-a,
# at 10.10.0.1 with pods in 10.244.1.0/24, and so on.
readonly NODE_LETTERS=(a b c d e f)
readonly CLUSTER_POD_CIDR=10.244.0.0/16
# hack/testenv.sh's Service range; 10.0.0.1 is the `kubernetes` Service.
readonly SERVICE_CIDR=10.0.0.0/24
readonly ZONE_LABEL=topology.kubernetes.io/zone
# metrics-server's secure port on the hub IP (its usual container port).
readonly METRICS_SERVER_PORT=4443
# kube-router's /healthz on a node's loopback (its default port).
readonly KUBE_ROUTER_HEALTH_PORT=20244
readonly STOP_TIMEOUT_SECONDS=20

die() { echo "node: error: $*" >&2; exit 1; }
say() { echo "node: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Node N (1-based) and its letter.
node_letter() { echo "${NODE_LETTERS[$(( $1 - 1 ))]}"; }
node_number() {
  local i
  for i in "${!NODE_LETTERS[@]}"; do [[ "${NODE_LETTERS[$i]}" == "$1" ]] && { echo $(( i + 1 )); return 0; }; done
  return 1
}
node_name() { echo "dcache-node-$1"; }
node_zone() { echo "zone-$1"; }
node_ip() { echo "10.10.0.$(node_number "$1")"; }
node_pod_cidr() { echo "10.244.$(node_number "$1").0/24"; }
node_pod_gateway() { echo "10.244.$(node_number "$1").1"; }
# The hub's end of a node's veth, and the directory a node keeps its state in.
hub_link() { echo "vh-$1"; }
node_dir_of() { echo "$1/nodes/$2"; }

# The kubelet's cgroupRoot, where pods live: named after DIR (the node's
# directory), so two nodes never share one, and `down` finds it without state.
cgroup_root() { echo "/dcache-node-$(echo -n "$DIR" | sha256sum | cut -c1-8)"; }

# shellcheck source-path=SCRIPTDIR source=../lib/components.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/components.sh"
