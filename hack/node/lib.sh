# shellcheck shell=bash disable=SC2034 # constants for the scripts that source this
# Sourced by hack/node.sh and hack/node/start.sh: the node's fixed
# addresses and names, messages, and the pid files of its processes.
# Expects DIR (absolute) to be set.

# Every address below exists only inside the node's network namespace.
readonly NODE_NAME=dcache-node
# On lo: the kubelet wants its node IP on an interface (not a 127/8 one),
# and the API server advertises it as the `kubernetes` Service's endpoint.
readonly NODE_IP=10.10.0.1
readonly POD_CIDR=10.244.0.0/24
readonly POD_GATEWAY=10.244.0.1
# hack/testenv.sh's Service range; 10.0.0.1 is the `kubernetes` Service.
readonly SERVICE_CIDR=10.0.0.0/24
# metrics-server's secure port on the node IP (its usual container port).
readonly METRICS_SERVER_PORT=4443
readonly STOP_TIMEOUT_SECONDS=20

die() { echo "node: error: $*" >&2; exit 1; }
say() { echo "node: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The kubelet's cgroupRoot, where pods live: named after DIR, so two nodes in
# two directories never share one, and `down` finds it without state.
cgroup_root() { echo "/dcache-node-$(echo -n "$DIR" | sha256sum | cut -c1-8)"; }

# shellcheck source-path=SCRIPTDIR source=../lib/components.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/components.sh"
