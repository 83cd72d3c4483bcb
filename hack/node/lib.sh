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
readonly STOP_TIMEOUT_SECONDS=20

die() { echo "node: error: $*" >&2; exit 1; }
say() { echo "node: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The kubelet's cgroupRoot, where pods live: named after DIR, so two nodes in
# two directories never share one, and `down` finds it without state.
cgroup_root() { echo "/dcache-node-$(echo -n "$DIR" | sha256sum | cut -c1-8)"; }

pid_file() { echo "$DIR/$1.pid"; }

# Prints the recorded pid of a component if that process is still the one we
# started (same binary name, DIR on its command line), so a reused pid is
# never signalled.
live_pid_of() {
  local name="$1" file pid state argv0
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z ]] || return 1
  argv0="$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)"
  [[ "$(basename -- "$argv0")" == "$name" ]] || return 1
  grep -qzF -- "$DIR/" "/proc/$pid/cmdline" || return 1
  echo "$pid"
}

# Until a child started through setsid has exec'd its binary, its command
# line is bash's or setsid's, and live_pid_of would take it for dead.
await_exec() {
  local name="$1" pid _
  pid="$(<"$(pid_file "$name")")"
  for _ in $(seq 1 100); do
    live_pid_of "$name" >/dev/null && return 0
    [[ -d "/proc/$pid" ]] || return 0
    sleep 0.05
  done
}

# TERM, wait up to STOP_TIMEOUT_SECONDS, then KILL.
stop_component() {
  local name="$1" pid waited=0
  if ! pid="$(live_pid_of "$name")"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while live_pid_of "$name" >/dev/null; do
    if (( waited >= STOP_TIMEOUT_SECONDS * 10 )); then
      say "$name (pid $pid) ignored TERM for ${STOP_TIMEOUT_SECONDS}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$(pid_file "$name")"
}
