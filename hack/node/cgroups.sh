# shellcheck shell=bash
# Sourced by hack/node.sh: one node's cgroup root (its pods), in every
# hierarchy: made by up, listed and frozen for faults, removed by down.
# Expects CGROUP_ROOT and say() from the caller.

cgroup_version() {
  if [[ "$(stat -fc %T /sys/fs/cgroup)" == cgroup2fs ]]; then echo 2; else echo 1; fi
}

# The hierarchies a cgroup root lives in: every v1 hierarchy (and a hybrid
# host's unified one), or the single v2 tree.
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

# Pids of every process in the node's cgroups (pod containers), any hierarchy.
cgroup_pids() {
  local hierarchy
  for hierarchy in $(cgroup_hierarchies); do
    [[ -d "$hierarchy$CGROUP_ROOT" ]] || continue
    find "$hierarchy$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# Freezes or thaws every pod of the node at once: the v1 freezer, or v2's
# cgroup.freeze. A frozen process keeps its sockets; nothing answers on them.
set_cgroup_frozen() {
  local frozen="$1" file
  if [[ "$(cgroup_version)" == 2 ]]; then
    file="/sys/fs/cgroup$CGROUP_ROOT/cgroup.freeze"
    [[ -f "$file" ]] || return 0
    if [[ "$frozen" == true ]]; then echo 1 >"$file"; else echo 0 >"$file"; fi
  else
    file="/sys/fs/cgroup/freezer$CGROUP_ROOT/freezer.state"
    [[ -f "$file" ]] || { say "no v1 freezer at $file"; return 1; }
    if [[ "$frozen" == true ]]; then echo FROZEN >"$file"; else echo THAWED >"$file"; fi
  fi
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
