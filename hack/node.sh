#!/usr/bin/env bash
# A real one-node Kubernetes cluster for end-to-end tests, with no Docker:
# the control plane of hack/testenv.sh plus containerd, runc, the CNI
# plugins, a kubelet and kube-proxy (built by hack/build-node.sh), all inside
# a network namespace of its own. See hack/node/README.md.
#
# Usage (as root):
#   hack/node.sh up DIR              start it; returns once the Node is Ready and
#                                    kube-proxy has synced. State, logs and pid
#                                    files go under DIR; DIR/kubeconfig is admin.
#   hack/node.sh exec DIR -- CMD...  run CMD inside the node's network namespace
#                                    (the only place its addresses exist), with
#                                    KUBECONFIG, PATH (kubectl, ctr) and
#                                    E2E_BUSYBOX_IMAGE set.
#   hack/node.sh import DIR FILE...  import image archives into the node's containerd.
#   hack/node.sh down DIR            stop and remove everything up made.
# up and down are idempotent.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR
# Stop order; start order is the reverse. The control plane is stopped by
# hack/testenv.sh down.
readonly NODE_COMPONENTS=(metrics-server coredns kube-proxy kubelet containerd)
# The global (not per network namespace) settings the kubelet rewrites at
# start: recorded by up, restored by down.
readonly GLOBAL_SYSCTLS=(kernel/panic kernel/panic_on_oops vm/overcommit_memory vm/panic_on_oom
  kernel/keys/root_maxkeys kernel/keys/root_maxbytes)

usage() { echo "usage: $0 up DIR | down DIR | exec DIR -- CMD... | import DIR FILE..." >&2; exit 2; }

[[ $# -ge 2 ]] || usage
readonly COMMAND="$1"
if [[ "$COMMAND" == up ]]; then mkdir -p "$2"; fi
# An absolute path: it is matched against the components' command lines.
if [[ -d "$2" ]]; then DIR="$(cd "$2" && pwd)"; else DIR="$(realpath -m "$2")"; fi
readonly DIR
shift 2
# shellcheck source-path=SCRIPTDIR source=node/lib.sh
source "$HACK_DIR/node/lib.sh"
CGROUP_ROOT="$(cgroup_root)"
# The network namespace is pinned by a bind mount on this file, not in
# /run/netns, so nothing about it lives outside DIR.
readonly CGROUP_ROOT NETNS_PATH="$DIR/netns" SYSCTL_FILE="$DIR/sysctl.saved"

[[ "$(id -u)" == 0 ]] || die "the node needs root (network and mount namespaces, cgroups, a kubelet)"

# ------------------------------------------------------------------ sysctls

# Only the first up after a down records: a second up must not record the
# kubelet's values as the originals.
save_sysctls() {
  local key
  [[ -f "$SYSCTL_FILE" ]] && return 0
  for key in "${GLOBAL_SYSCTLS[@]}"; do
    [[ -r "/proc/sys/$key" ]] && echo "$key=$(<"/proc/sys/$key")"
  done >"$SYSCTL_FILE.partial"
  mv "$SYSCTL_FILE.partial" "$SYSCTL_FILE"
}

restore_sysctls() {
  local key value
  [[ -f "$SYSCTL_FILE" ]] || return 0
  while IFS='=' read -r key value; do
    [[ "$(<"/proc/sys/$key")" == "$value" ]] && continue
    say "restoring ${key//\//.} to $value"
    echo "$value" >"/proc/sys/$key" || say "could not restore ${key//\//.}"
  done <"$SYSCTL_FILE"
  rm -f "$SYSCTL_FILE"
}

# ------------------------------------------------------------------ cgroups

cgroup_version() {
  if [[ "$(stat -fc %T /sys/fs/cgroup)" == cgroup2fs ]]; then echo 2; else echo 1; fi
}

# The hierarchies this node's cgroup root lives in: every v1 hierarchy (and
# a hybrid host's unified one), or the single v2 tree.
cgroup_hierarchies() {
  if [[ "$(cgroup_version)" == 2 ]]; then
    echo /sys/fs/cgroup
  else
    awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts | grep '^/sys/fs/cgroup/'
  fi
}

make_cgroup_root() {
  local hierarchy
  for hierarchy in $(cgroup_hierarchies); do
    mkdir -p "$hierarchy$CGROUP_ROOT"
    # A new v1 cpuset has no CPUs or memory nodes until given its parent's.
    if [[ -f "$hierarchy$CGROUP_ROOT/cpuset.cpus" && ! -s "$hierarchy$CGROUP_ROOT/cpuset.cpus" ]]; then
      cat "$hierarchy/cpuset.cpus" >"$hierarchy$CGROUP_ROOT/cpuset.cpus"
      cat "$hierarchy/cpuset.mems" >"$hierarchy$CGROUP_ROOT/cpuset.mems"
    fi
  done
  if [[ "$(cgroup_version)" == 2 ]]; then
    # The kubelet needs these controllers delegated below the root.
    sed 's/\([a-z_]*\)/+\1/g' /sys/fs/cgroup/cgroup.controllers >"/sys/fs/cgroup$CGROUP_ROOT/cgroup.subtree_control" || true
  fi
}

# Pids of every process in this node's cgroups (pod containers), any hierarchy.
cgroup_pids() {
  local hierarchy
  for hierarchy in $(cgroup_hierarchies); do
    [[ -d "$hierarchy$CGROUP_ROOT" ]] || continue
    find "$hierarchy$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

remove_cgroup_root() {
  local hierarchy
  for hierarchy in $(cgroup_hierarchies); do
    [[ -d "$hierarchy$CGROUP_ROOT" ]] || continue
    # Deepest first: a cgroup can only be removed once its children are.
    find "$hierarchy$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d "$hierarchy$CGROUP_ROOT" ]] && say "could not remove cgroup $hierarchy$CGROUP_ROOT"
  done
  return 0
}

# ---------------------------------------------------------------- namespace

# Inside: loopback, which also carries the node IP (this kernel has no
# dummy devices), and a route for the Service range so that traffic from
# the node itself gets to kube-proxy's rules. No default route: nothing in
# here can reach anything outside.
make_netns() {
  touch "$NETNS_PATH"
  unshare --net="$NETNS_PATH" true
  local in=(nsenter --net="$NETNS_PATH" -- ip)
  "${in[@]}" link set lo up
  "${in[@]}" addr add "$NODE_IP/32" dev lo
  "${in[@]}" route add "$SERVICE_CIDR" dev lo src "$NODE_IP"
}

netns_pinned() { mountpoint -q "$NETNS_PATH" 2>/dev/null; }

# Pids of every process in this node's network namespace (the components,
# containerd's shims, host-network pods).
namespace_pids() {
  local netns_id pid
  netns_pinned || return 0
  netns_id="net:[$(stat -L -c %i "$NETNS_PATH")]"
  for pid in /proc/[0-9]*; do
    [[ "$(readlink "$pid/ns/net" 2>/dev/null)" == "$netns_id" ]] && echo "${pid#/proc/}"
  done
  return 0
}

# Everything left after the components stopped: pod processes (by cgroup)
# and containerd's shims (by network namespace). Both are ours by
# construction: the namespace and the cgroup root were made by up.
kill_leftovers() {
  local round pids
  for round in $(seq 1 50); do
    pids="$( { cgroup_pids; namespace_pids; } | sort -un | grep -vx "$$" || true)"
    [[ -z "$pids" ]] && return 0
    (( round == 1 )) && say "killing what is left in the node's cgroups and namespace: $(tr '\n' ' ' <<<"$pids")"
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  say "processes still alive after KILL: $(tr '\n' ' ' <<<"$pids")"
}

# --------------------------------------------------------------- commands

all_up() {
  local name
  [[ -f "$DIR/node.env" ]] && netns_pinned || return 1
  for name in "${NODE_COMPONENTS[@]}"; do live_pid_of "$name" >/dev/null || return 1; done
  in_netns "$K8S_BIN/kubectl" --kubeconfig "$DIR/kubeconfig" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}

in_netns() { nsenter --net="$NETNS_PATH" -- "$@"; }
node_env() { sed -n "s/^$1=//p" "$DIR/node.env"; }

has_leftovers() {
  [[ -f "$DIR/node.env" || -f "$SYSCTL_FILE" || -e "$NETNS_PATH" || -d "$DIR/node" ]] && return 0
  compgen -G "$DIR/*.pid" >/dev/null
}

require_commands() {
  local cmd
  for cmd in ip nsenter unshare mount iptables runc openssl curl setsid flock; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is missing (hack/build-node.sh installs runc and iptables)"
  done
}

cmd_up() {
  local started_ms
  started_ms="$(now_ms)"
  K8S_BIN="$("$HACK_DIR/build-k8s.sh")"
  NODE_BIN="$("$HACK_DIR/build-node.sh")"
  require_commands
  if all_up; then
    say "already up in $DIR (KUBECONFIG=$DIR/kubeconfig)"
    return 0
  fi
  # Leftovers of an up that half-finished or whose processes died.
  if has_leftovers; then cmd_down; fi

  trap 'say "up did not finish; tearing down (logs in $DIR/logs)"; cmd_down' EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$DIR/logs" "$DIR/node"
  save_sysctls
  make_cgroup_root
  make_netns

  local image_dir
  image_dir="$(dirname "$NODE_BIN")/images"
  cat >"$DIR/node.env" <<EOF
NETNS_PATH=$NETNS_PATH
CGROUP_ROOT=$CGROUP_ROOT
CGROUP_VERSION=$(cgroup_version)
K8S_BIN=$K8S_BIN
NODE_BIN=$NODE_BIN
IMAGE_DIR=$image_dir
PAUSE_IMAGE=$(<"$image_dir/pause.ref")
BUSYBOX_IMAGE=$(<"$image_dir/busybox.ref")
RUNC=$(command -v runc)
KUBECONFIG=$DIR/kubeconfig
EOF
  nsenter --net="$NETNS_PATH" -- unshare --mount --propagation private -- "$HACK_DIR/node/start.sh" "$DIR"
  trap - EXIT INT TERM
  say "node $NODE_NAME ready in $(( $(now_ms) - started_ms )) ms; run commands in it with: $0 exec $DIR -- kubectl get nodes"
}

cmd_down() {
  local name
  if [[ ! -d "$DIR" ]]; then
    say "nothing to stop: $DIR does not exist"
    return 0
  fi
  for name in "${NODE_COMPONENTS[@]}"; do
    # Pods go first, so containerd and its shims see them exit.
    [[ "$name" == containerd ]] && kill_leftovers_in_cgroups
    stop_component "$name"
  done
  "$HACK_DIR/testenv.sh" down "$DIR"
  kill_leftovers
  remove_cgroup_root
  # The namespace goes once its last process and this mount are gone.
  if netns_pinned; then umount "$NETNS_PATH"; fi
  rm -f "$NETNS_PATH"
  restore_sysctls
  # Everything up wrote but the logs, which stay for reading. Named one by
  # one: DIR is whatever the caller passed.
  rm -rf "$DIR/node" "$DIR/node.env" "$DIR/kube-cache" "$DIR/etcd" "$DIR/kube-apiserver" "$DIR/pki" \
    "$DIR/kubeconfig" "$DIR/controller-manager.kubeconfig" "$DIR/scheduler.kubeconfig" "$DIR/testenv.env"
  say "node in $DIR is down (logs kept in $DIR/logs)"
}

kill_leftovers_in_cgroups() {
  local pids
  pids="$(cgroup_pids)"
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL $pids 2>/dev/null || true
}

cmd_exec() {
  [[ "${1:-}" == -- ]] && shift
  [[ $# -gt 0 ]] || usage
  if [[ ! -f "$DIR/node.env" ]] || ! netns_pinned; then die "no node in $DIR: run $0 up $DIR first"; fi
  exec nsenter --net="$NETNS_PATH" -- env \
    KUBECONFIG="$DIR/kubeconfig" KUBECACHEDIR="$DIR/kube-cache" PATH="$(node_env K8S_BIN):$(node_env NODE_BIN):$PATH" \
    CONTAINERD_ADDRESS="$DIR/node/root/run/containerd/containerd.sock" CONTAINERD_NAMESPACE=k8s.io \
    E2E_BUSYBOX_IMAGE="$(node_env BUSYBOX_IMAGE)" "$@"
}

# Image archives (docker or OCI, e.g. from hack/build-images.sh) into the
# node's containerd, where pods with IfNotPresent find them.
cmd_import() {
  local archive out
  [[ $# -gt 0 ]] || usage
  if [[ ! -f "$DIR/node.env" ]] || ! netns_pinned; then die "no node in $DIR: run $0 up $DIR first"; fi
  for archive in "$@"; do
    say "importing $archive"
    # ctr warns about cgroup v1 on every call; show only the rest.
    out="$("$(node_env NODE_BIN)/ctr" --address "$DIR/node/root/run/containerd/containerd.sock" --namespace k8s.io \
      images import --platform linux/amd64 "$archive" 2>&1)" || die "ctr could not import $archive: $out"
    grep -iv 'cgroup v1' <<<"$out" >&2 || true
  done
}

case "$COMMAND" in
  up) [[ $# -eq 0 ]] || usage; cmd_up ;;
  down) [[ $# -eq 0 ]] || usage; cmd_down ;;
  exec) cmd_exec "$@" ;;
  import) cmd_import "$@" ;;
  *) usage ;;
esac
