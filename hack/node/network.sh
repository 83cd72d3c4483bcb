# shellcheck shell=bash
# Sourced by hack/node.sh: the cluster's network namespaces and the links
# between them, and the faults cut into them (hack/node/README.md, "Network").
# Expects CLUSTER_DIR and lib.sh's names.
#
# The hub routes: each node's veth is a point-to-point link to the hub (the
# hub's end carries HUB_IP, the node's end the node IP, both /32), and every
# packet between two nodes crosses the hub's forwarding path. That one place
# is where a fault drops a node's traffic, both ways, for everyone.

# Namespaces are pinned by a bind mount on a file in the cluster's directory,
# not in /run/netns, so nothing about them lives outside it.
hub_netns() { echo "$CLUSTER_DIR/netns"; }
node_netns() { echo "$(node_dir_of "$CLUSTER_DIR" "$1")/netns"; }
in_hub() { nsenter --net="$(hub_netns)" -- "$@"; }
in_node() { local letter="$1"; shift; nsenter --net="$(node_netns "$letter")" -- "$@"; }

netns_pinned() { mountpoint -q "$1" 2>/dev/null; }

new_netns() {
  touch "$1"
  unshare --net="$1" true
}

unpin_netns() {
  if netns_pinned "$1"; then umount "$1"; fi
  rm -f "$1"
}

# Pids of every process in a network namespace (components, containerd's
# shims, host-network pods).
netns_pids() {
  local path="$1" netns_id pid
  netns_pinned "$path" || return 0
  netns_id="net:[$(stat -L -c %i "$path")]"
  for pid in /proc/[0-9]*; do
    [[ "$(readlink "$pid/ns/net" 2>/dev/null)" == "$netns_id" ]] && echo "${pid#/proc/}"
  done
  return 0
}

# The hub: loopback, the hub IP on it until the first veth carries it too,
# a route for the Service range so that its own ClusterIP traffic meets its
# kube-proxy's rules, and forwarding between the nodes. No default route:
# nothing in the cluster reaches the machine's network.
make_hub_netns() {
  new_netns "$(hub_netns)"
  in_hub ip link set lo up
  in_hub ip addr add "$HUB_IP/32" dev lo
  in_hub ip route add "$SERVICE_CIDR" dev lo src "$HUB_IP"
  in_hub sysctl -qw net.ipv4.ip_forward=1
  make_fault_chains
}

# A node: its namespace, a veth to the hub (eth0 inside), and its routes:
# the hub is the default gateway, so other nodes, their pods and the hub's
# services all go through it. The hub routes the node IP and pod range back.
make_node_netns() {
  local letter="$1" ip link netns
  ip="$(node_ip "$letter")" link="$(hub_link "$letter")" netns="$(node_netns "$letter")"
  new_netns "$netns"
  in_hub ip link add "$link" type veth peer name eth0 netns "$netns"
  in_hub ip addr add "$HUB_IP/32" dev "$link"
  in_hub ip link set "$link" up
  in_hub ip route add "$ip/32" dev "$link" src "$HUB_IP"
  in_hub ip route add "$(node_pod_cidr "$letter")" via "$ip" dev "$link"
  in_node "$letter" ip link set lo up
  in_node "$letter" ip addr add "$ip/32" dev eth0
  in_node "$letter" ip link set eth0 up
  in_node "$letter" ip route add "$HUB_IP/32" dev eth0 src "$ip"
  in_node "$letter" ip route add default via "$HUB_IP" dev eth0 src "$ip"
  in_node "$letter" ip route add "$SERVICE_CIDR" dev lo src "$ip"
  in_node "$letter" sysctl -qw net.ipv4.ip_forward=1
}

# ------------------------------------------------------------------ faults
# Drops, never rejects: a dead or cut-off machine does not answer, so
# connections to it hang until their timeouts, as on a real network. The
# rules are in the mangle table, which kube-proxy leaves alone, before its
# filter rules that accept established flows; PREROUTING sees what a node
# sends, POSTROUTING (after the Service DNAT) what is sent to it.
readonly FAULT_IN=DCACHE-FAULTS-FROM FAULT_OUT=DCACHE-FAULTS-TO

make_fault_chains() {
  in_hub iptables -t mangle -N "$FAULT_IN"
  in_hub iptables -t mangle -N "$FAULT_OUT"
  in_hub iptables -t mangle -I PREROUTING 1 -j "$FAULT_IN"
  in_hub iptables -t mangle -I POSTROUTING 1 -j "$FAULT_OUT"
}

# Cuts a node off from the hub and every other node (and so from the API
# server, CoreDNS and the tests), or lets it back.
cut_node() {
  local link
  link="$(hub_link "$1")"
  fault_rules_of "$1" | grep -q . && return 0
  in_hub iptables -t mangle -A "$FAULT_IN" -i "$link" -m comment --comment "cut $1" -j DROP
  in_hub iptables -t mangle -A "$FAULT_OUT" -o "$link" -m comment --comment "cut $1" -j DROP
}

heal_node() {
  in_hub iptables -t mangle -D "$FAULT_IN" -i "$(hub_link "$1")" -m comment --comment "cut $1" -j DROP 2>/dev/null || true
  in_hub iptables -t mangle -D "$FAULT_OUT" -o "$(hub_link "$1")" -m comment --comment "cut $1" -j DROP 2>/dev/null || true
}

fault_rules_of() {
  in_hub iptables -t mangle -S "$FAULT_IN" 2>/dev/null | grep -F -- "\"cut $1\"" || true
}
