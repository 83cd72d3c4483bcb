#!/usr/bin/env bash
# A real Kubernetes cluster of several nodes, one per zone, with no Docker:
# the control plane of hack/testenv.sh, CoreDNS and metrics-server in a hub
# network namespace, and per node containerd, runc, the CNI plugins, a
# kubelet, kube-proxy and kube-router (NetworkPolicy; built by
# hack/build-node.sh) in a network and mount namespace of its own. See hack/node/README.md.
#
# Usage (as root):
#   hack/node.sh up DIR [N]          start it with N nodes (default 3, at most 6):
#                                    dcache-node-a in zone-a, -b in zone-b, ...
#                                    Returns once every Node is Ready. State,
#                                    logs and pid files go under DIR;
#                                    DIR/kubeconfig is admin.
#   hack/node.sh exec DIR -- CMD...  run CMD in the hub's network namespace
#                                    (where the API server, pod IPs and Service
#                                    IPs are reachable), with KUBECONFIG, PATH
#                                    (kubectl, ctr), E2E_BUSYBOX_IMAGE and
#                                    DCACHE_CLUSTER_DIR set.
#   hack/node.sh import DIR FILE...  import image archives into every live node.
#   hack/node.sh nodes DIR           the nodes' letters, one per line.
#   hack/node.sh kill DIR L          node L dies: every process of it is killed
#                                    and its traffic is dropped, as a machine
#                                    that lost power (no resets, no answers).
#   hack/node.sh freeze|thaw DIR L   stop or resume every process of node L
#                                    (its pods by the cgroup freezer, the rest by
#                                    SIGSTOP): connections to it hang.
#   hack/node.sh partition|heal DIR L  drop, or stop dropping, all traffic between
#                                    node L and the rest (hub and other nodes).
#   hack/node.sh down DIR            stop and remove everything up made.
# up and down are idempotent.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR
# Stop orders; start orders are the reverse. The control plane is stopped by
# hack/testenv.sh down.
readonly HUB_COMPONENTS=(metrics-server coredns kube-proxy)
readonly NODE_COMPONENTS=(kube-router kube-proxy kubelet containerd)
# The global (not per network namespace) settings the kubelet rewrites at
# start, and the inotify instances every kubelet and containerd take:
# recorded by up, restored by down.
readonly GLOBAL_SYSCTLS=(kernel/panic kernel/panic_on_oops vm/overcommit_memory vm/panic_on_oom
  kernel/keys/root_maxkeys kernel/keys/root_maxbytes fs/inotify/max_user_instances)
readonly MIN_INOTIFY_INSTANCES=1024
readonly DEFAULT_NODES=3

usage() {
  echo "usage: $0 up DIR [N] | down DIR | exec DIR -- CMD... | import DIR FILE... | nodes DIR" >&2
  echo "       $0 kill|freeze|thaw|partition|heal DIR NODE" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
readonly COMMAND="$1"
if [[ "$COMMAND" == up ]]; then mkdir -p "$2"; fi
# An absolute path: it is matched against the components' command lines.
if [[ -d "$2" ]]; then CLUSTER_DIR="$(cd "$2" && pwd)"; else CLUSTER_DIR="$(realpath -m "$2")"; fi
readonly CLUSTER_DIR
DIR="$CLUSTER_DIR"
shift 2
# shellcheck source-path=SCRIPTDIR source=node/lib.sh
source "$HACK_DIR/node/lib.sh"
# shellcheck source-path=SCRIPTDIR source=node/network.sh
source "$HACK_DIR/node/network.sh"
# shellcheck source-path=SCRIPTDIR source=node/cgroups.sh
source "$HACK_DIR/node/cgroups.sh"
readonly SYSCTL_FILE="$CLUSTER_DIR/sysctl.saved" CLUSTER_ENV="$CLUSTER_DIR/cluster.env"

[[ "$(id -u)" == 0 ]] || die "the cluster needs root (network and mount namespaces, cgroups, kubelets)"

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

# Each kubelet and containerd holds inotify instances; 128, a common default,
# runs out at three nodes.
raise_inotify_instances() {
  local file=/proc/sys/fs/inotify/max_user_instances
  (( $(<"$file") >= MIN_INOTIFY_INSTANCES )) || echo "$MIN_INOTIFY_INSTANCES" >"$file"
}

# ------------------------------------------------------------------- state

cluster_env() { sed -n "s/^$1=//p" "$CLUSTER_ENV"; }
# The nodes up made (or is making), by letter.
node_letters() {
  local dir
  for dir in "$CLUSTER_DIR"/nodes/*/; do [[ -d "$dir" ]] && basename "$dir"; done
  return 0
}

known_node() {
  [[ -f "$(node_dir_of "$CLUSTER_DIR" "$1")/node.env" ]] || die "no node '$1' in $CLUSTER_DIR (nodes: $(node_letters | tr '\n' ' '))"
}

# Runs a function of lib/components.sh or cgroups.sh as node L: they work on
# DIR (its directory) and CGROUP_ROOT.
as_node() {
  local letter="$1"; shift
  (
    DIR="$(node_dir_of "$CLUSTER_DIR" "$letter")"
    CGROUP_ROOT="$(cgroup_root)"
    "$@"
  )
}

# Everything of node L that runs: pods (by cgroup), and its components,
# containerd's shims and host-network pods (by network namespace).
node_pids() {
  local letter="$1"
  { as_node "$letter" cgroup_pids; netns_pids "$(node_netns "$letter")"; } | sort -un | grep -vx "$$" || true
}

kill_node_processes() {
  local letter="$1" round pids
  for round in $(seq 1 50); do
    pids="$(node_pids "$letter")"
    [[ -z "$pids" ]] && return 0
    # A frozen cgroup's processes die only once thawed.
    (( round == 1 )) && as_node "$letter" set_cgroup_frozen false 2>/dev/null || true
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  say "processes of node $letter still alive after KILL: $(tr '\n' ' ' <<<"$pids")"
}

node_up() {
  local letter="$1" name
  as_node "$letter" live_pid_of kubelet >/dev/null || return 1
  for name in "${NODE_COMPONENTS[@]}"; do as_node "$letter" live_pid_of "$name" >/dev/null || return 1; done
  in_hub "$K8S_BIN/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" get node "$(node_name "$letter")" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}

all_up() {
  local count="$1" name letter i
  [[ -f "$CLUSTER_ENV" ]] && netns_pinned "$(hub_netns)" || return 1
  [[ "$(cluster_env NODES)" == "$count" ]] || return 1
  for name in "${HUB_COMPONENTS[@]}"; do live_pid_of "$name" >/dev/null || return 1; done
  for ((i = 1; i <= count; i++)); do
    letter="$(node_letter "$i")"
    node_up "$letter" || return 1
  done
}

has_leftovers() {
  [[ -f "$CLUSTER_ENV" || -f "$SYSCTL_FILE" || -e "$(hub_netns)" || -d "$CLUSTER_DIR/hub" ]] && return 0
  compgen -G "$CLUSTER_DIR/*.pid" >/dev/null || compgen -G "$CLUSTER_DIR/nodes/*/node.env" >/dev/null \
    || compgen -G "$CLUSTER_DIR/nodes/*/netns" >/dev/null
}

require_commands() {
  local cmd
  for cmd in ip nsenter unshare mount iptables runc openssl curl setsid flock; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is missing (hack/build-node.sh installs runc and iptables)"
  done
}

# --------------------------------------------------------------- commands

write_node_env() {
  local letter="$1" node_dir image_dir
  node_dir="$(node_dir_of "$CLUSTER_DIR" "$letter")"
  image_dir="$(dirname "$NODE_BIN")/images"
  mkdir -p "$node_dir/logs"
  cat >"$node_dir/node.env" <<EOF
CLUSTER_DIR=$CLUSTER_DIR
NODE_LETTER=$letter
NODE_NAME=$(node_name "$letter")
NODE_ZONE=$(node_zone "$letter")
NODE_IP=$(node_ip "$letter")
POD_CIDR=$(node_pod_cidr "$letter")
POD_GATEWAY=$(node_pod_gateway "$letter")
NETNS_PATH=$(node_netns "$letter")
CGROUP_ROOT=$(as_node "$letter" cgroup_root)
CGROUP_VERSION=$(cgroup_version)
K8S_BIN=$K8S_BIN
NODE_BIN=$NODE_BIN
IMAGE_DIR=$image_dir
PAUSE_IMAGE=$(<"$image_dir/pause.ref")
RUNC=$(command -v runc)
EOF
}

start_node() {
  local letter="$1" node_dir
  node_dir="$(node_dir_of "$CLUSTER_DIR" "$letter")"
  write_node_env "$letter"
  as_node "$letter" make_cgroup_root
  make_node_netns "$letter"
  nsenter --net="$(node_netns "$letter")" -- unshare --mount --propagation private -- \
    "$HACK_DIR/node/start-node.sh" "$node_dir"
}

cmd_up() {
  local count="${1:-$DEFAULT_NODES}" started_ms i image_dir
  [[ "$count" =~ ^[1-6]$ ]] || die "the number of nodes must be 1 to 6, not '$count'"
  started_ms="$(now_ms)"
  K8S_BIN="$("$HACK_DIR/build-k8s.sh")"
  NODE_BIN="$("$HACK_DIR/build-node.sh")"
  require_commands
  if all_up "$count"; then
    say "already up in $CLUSTER_DIR with $count nodes (KUBECONFIG=$CLUSTER_DIR/kubeconfig)"
    return 0
  fi
  # Leftovers of an up that half-finished or whose processes died.
  if has_leftovers; then cmd_down; fi

  trap 'say "up did not finish; tearing down (logs in $CLUSTER_DIR/logs and $CLUSTER_DIR/nodes/*/logs)"; cmd_down' EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$CLUSTER_DIR/logs" "$CLUSTER_DIR/hub"
  save_sysctls
  raise_inotify_instances
  image_dir="$(dirname "$NODE_BIN")/images"
  cat >"$CLUSTER_ENV" <<EOF
NODES=$count
K8S_BIN=$K8S_BIN
NODE_BIN=$NODE_BIN
BUSYBOX_IMAGE=$(<"$image_dir/busybox.ref")
KUBECONFIG=$CLUSTER_DIR/kubeconfig
EOF
  make_hub_netns
  in_hub "$HACK_DIR/node/start-hub.sh" "$CLUSTER_DIR"
  for ((i = 1; i <= count; i++)); do start_node "$(node_letter "$i")"; done
  trap - EXIT INT TERM
  say "$count nodes ready in $(( $(now_ms) - started_ms )) ms; run commands in the cluster with: $0 exec $CLUSTER_DIR -- kubectl get nodes -L $ZONE_LABEL"
}

stop_node() {
  local letter="$1" name
  for name in "${NODE_COMPONENTS[@]}"; do
    # Pods go first, so containerd and its shims see them exit.
    if [[ "$name" == containerd ]]; then
      as_node "$letter" set_cgroup_frozen false 2>/dev/null || true
      # shellcheck disable=SC2046 # a list of pids
      kill -KILL $(as_node "$letter" cgroup_pids) 2>/dev/null || true
    fi
    # A stopped (frozen) process gets TERM only once it runs again.
    kill -CONT $(netns_pids "$(node_netns "$letter")") 2>/dev/null || true
    as_node "$letter" stop_component "$name"
  done
  kill_node_processes "$letter"
  as_node "$letter" remove_cgroup_root
  # The namespace goes once its last process and this mount are gone.
  unpin_netns "$(node_netns "$letter")"
  rm -rf "$(node_dir_of "$CLUSTER_DIR" "$letter")/root" "$(node_dir_of "$CLUSTER_DIR" "$letter")/etc" \
    "$(node_dir_of "$CLUSTER_DIR" "$letter")/node.env"
}

cmd_down() {
  local letter name pids
  if [[ ! -d "$CLUSTER_DIR" ]]; then
    say "nothing to stop: $CLUSTER_DIR does not exist"
    return 0
  fi
  for letter in $(node_letters); do stop_node "$letter"; done
  for name in "${HUB_COMPONENTS[@]}"; do stop_component "$name"; done
  "$HACK_DIR/testenv.sh" down "$CLUSTER_DIR"
  pids="$(netns_pids "$(hub_netns)" | grep -vx "$$" || true)"
  # shellcheck disable=SC2086 # a list of pids
  [[ -n "$pids" ]] && { say "killing what is left in the hub: $(tr '\n' ' ' <<<"$pids")"; kill -KILL $pids 2>/dev/null || true; }
  unpin_netns "$(hub_netns)"
  restore_sysctls
  # Everything up wrote but the logs, which stay for reading. Named one by
  # one: DIR is whatever the caller passed.
  rm -rf "$CLUSTER_DIR/hub" "$CLUSTER_ENV" "$CLUSTER_DIR/kube-cache" "$CLUSTER_DIR/etcd" "$CLUSTER_DIR/kube-apiserver" \
    "$CLUSTER_DIR/pki" "$CLUSTER_DIR/kubeconfig" "$CLUSTER_DIR/controller-manager.kubeconfig" \
    "$CLUSTER_DIR/scheduler.kubeconfig" "$CLUSTER_DIR/testenv.env"
  for letter in $(node_letters); do
    [[ -d "$CLUSTER_DIR/nodes/$letter/logs" ]] || rm -rf "${CLUSTER_DIR:?}/nodes/$letter"
  done
  say "cluster in $CLUSTER_DIR is down (logs kept in $CLUSTER_DIR/logs and $CLUSTER_DIR/nodes/*/logs)"
}

require_up() {
  if [[ ! -f "$CLUSTER_ENV" ]] || ! netns_pinned "$(hub_netns)"; then die "no cluster in $CLUSTER_DIR: run $0 up $CLUSTER_DIR first"; fi
}

cmd_exec() {
  [[ "${1:-}" == -- ]] && shift
  [[ $# -gt 0 ]] || usage
  require_up
  exec nsenter --net="$(hub_netns)" -- env \
    KUBECONFIG="$CLUSTER_DIR/kubeconfig" KUBECACHEDIR="$CLUSTER_DIR/kube-cache" \
    PATH="$(cluster_env K8S_BIN):$(cluster_env NODE_BIN):$PATH" \
    E2E_BUSYBOX_IMAGE="$(cluster_env BUSYBOX_IMAGE)" DCACHE_CLUSTER_DIR="$CLUSTER_DIR" "$@"
}

# Image archives (docker or OCI, e.g. from hack/build-images.sh) into every
# live node's containerd at once, where pods with IfNotPresent find them.
cmd_import() {
  local letter archive failed=0
  [[ $# -gt 0 ]] || usage
  require_up
  for letter in $(node_letters); do
    as_node "$letter" live_pid_of containerd >/dev/null || { say "node $letter is not running; not importing into it"; continue; }
    (
      local socket out
      socket="$(node_dir_of "$CLUSTER_DIR" "$letter")/root/run/containerd/containerd.sock"
      for archive in "$@"; do
        # ctr warns about cgroup v1 on every call; show only the rest.
        out="$("$(cluster_env NODE_BIN)/ctr" --address "$socket" --namespace k8s.io \
          images import --platform linux/amd64 "$archive" 2>&1)" || die "ctr could not import $archive into node $letter: $out"
        grep -iv 'cgroup v1' <<<"$out" | sed "s/^/node $letter: /" >&2 || true
      done
    ) &
  done
  while true; do
    wait -n || { (( $? == 127 )) && break; failed=1; }
  done
  (( failed == 0 )) || die "an import failed"
  say "imported $* into every live node"
}

cmd_kill() {
  local letter="$1"
  cut_node "$letter"
  kill_node_processes "$letter"
  say "node $letter is dead: its processes are killed and its traffic is dropped"
}

cmd_freeze() {
  local letter="$1" pids
  as_node "$letter" set_cgroup_frozen true
  pids="$(netns_pids "$(node_netns "$letter")")"
  # shellcheck disable=SC2086 # a list of pids
  [[ -n "$pids" ]] && kill -STOP $pids
  say "node $letter is frozen"
}

cmd_thaw() {
  local letter="$1" pids
  pids="$(netns_pids "$(node_netns "$letter")")"
  # shellcheck disable=SC2086 # a list of pids
  [[ -n "$pids" ]] && kill -CONT $pids
  as_node "$letter" set_cgroup_frozen false
  say "node $letter is thawed"
}

case "$COMMAND" in
  up) [[ $# -le 1 ]] || usage; cmd_up "$@" ;;
  down) [[ $# -eq 0 ]] || usage; cmd_down ;;
  exec) cmd_exec "$@" ;;
  import) cmd_import "$@" ;;
  nodes) [[ $# -eq 0 ]] || usage; require_up; node_letters ;;
  kill | freeze | thaw | partition | heal)
    [[ $# -eq 1 ]] || usage
    require_up
    known_node "$1"
    case "$COMMAND" in
      kill) cmd_kill "$1" ;;
      freeze) cmd_freeze "$1" ;;
      thaw) cmd_thaw "$1" ;;
      partition) cut_node "$1"; say "node $1 is cut off from the hub and the other nodes" ;;
      heal) heal_node "$1"; say "node $1 is connected again" ;;
    esac
    ;;
  *) usage ;;
esac
