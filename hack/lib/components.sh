# shellcheck shell=bash
# Sourced by hack/testenv.sh and hack/node/lib.sh: the pid files of the
# processes a script starts, and stopping exactly those. Expects DIR
# (absolute), STOP_TIMEOUT_SECONDS and say() from the script that sources it.

pid_file() { echo "$DIR/$1.pid"; }

# Prints the pid recorded for a component if that process is still the one
# we started (same binary name, and DIR on its command line), so a reused pid
# never gets signalled.
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
# line is bash's or setsid's, and live_pid_of would take it for dead: on a
# loaded machine a check right after the start once stopped a healthy one.
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
