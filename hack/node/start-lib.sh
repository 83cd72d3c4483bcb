# shellcheck shell=bash
# Sourced by start-hub.sh and start-node.sh: starting a component in the
# background with its log and pid file, and waiting for it to be ready.
# Expects DIR, LOG_DIR and lib.sh.
readonly READY_TIMEOUT_SECONDS="${NODE_READY_TIMEOUT_SECONDS:-180}"

start_component() {
  local name="$1"; shift
  say "starting $name"
  echo "----- $(date -u +%FT%TZ) node up: starting $name" >>"$LOG_DIR/$name.log"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  await_exec "$name"
}

wait_until() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS)) from_ms
  from_ms="$(now_ms)"
  until "$@" >/dev/null 2>&1; do
    if ! live_pid_of "$name" >/dev/null; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited while waiting for $what (log: $LOG_DIR/$name.log)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "timed out after ${READY_TIMEOUT_SECONDS}s waiting for $what (log: $LOG_DIR/$name.log)"
    fi
    sleep 0.25
  done
  say "  ok: $what (after $(( $(now_ms) - from_ms )) ms)"
}

# kube-proxy has written the Service rules once it made this chain. Its
# /healthz also wants a Node of its own name, which the hub has not: there,
# /livez (the proxier has synced) is the check.
kube_proxy_synced() {
  curl -fsS "http://127.0.0.1:10256/${1:-healthz}" >/dev/null && iptables -t nat -S KUBE-SERVICES >/dev/null
}
