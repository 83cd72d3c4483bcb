#!/usr/bin/env bash
# `make run`: ZooKeeper, three cache servers and one client (router) on
# loopback, in the foreground, each log line prefixed with its process name.
# Ctrl-C or SIGTERM stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

ZK_PORT="${ZK_PORT:-2181}"
CLIENT_PORT="${CLIENT_PORT:-5000}"
SERVER_PORTS=(8081 8082 8083)
STATE_DIR="${STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/distributed-cache/run}"
ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar

names=()
pid_of() { cat "$STATE_DIR/$1.pid" 2>/dev/null || true; }
stop_one() {
  local pid; pid="$(pid_of "$1")"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
stop_all() {
  trap - INT TERM EXIT
  echo "[run] stopping..."
  # Newest first: the client, then each server (it deregisters), then ZooKeeper.
  for name in "${names[@]}"; do stop_one "$name"; done
  wait
  echo "[run] stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$ZK_PORT" "$CLIENT_PORT" "${SERVER_PORTS[@]}"; do
  if port_in_use "$port"; then echo "[run] port $port on 127.0.0.1 is already in use; stop whatever holds it first" >&2; exit 1; fi
done

# Runs a command in the background with its output prefixed by NAME; its pid goes to NAME.pid.
start() {
  local name="$1"; shift
  ( "$@" & echo $! > "$STATE_DIR/$name.pid"; wait $! ) 2>&1 | sed -u "s/^/[$name] /" &
  names=("$name" "${names[@]}")
}

rm -rf "$STATE_DIR/zookeeper" "$STATE_DIR"/*.pid && mkdir -p "$STATE_DIR/zookeeper/data"
cat > "$STATE_DIR/zookeeper/zoo.cfg" <<CFG
tickTime=1000
dataDir=$STATE_DIR/zookeeper/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
CFG
start zookeeper java -Xmx256m -cp "$ZOOKEEPER_JAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$STATE_DIR/zookeeper/zoo.cfg"

# A fresh cluster token for this run's processes, in a file only this user can read: internal
# routes refuse calls without it, and a token never goes on a command line.
TOKEN_FILE="$STATE_DIR/cluster-token"
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$TOKEN_FILE" && echo >> "$TOKEN_FILE")
export ZK_CONNECT="127.0.0.1:$ZK_PORT" CACHE_NAME=local HOST=127.0.0.1 CLUSTER_TOKEN_FILE="$TOKEN_FILE"
i=0
for port in "${SERVER_PORTS[@]}"; do
  i=$((i + 1))
  start "server-$i" env NODE_ID="server-$i" PORT="$port" node dist/dataplane/main.js server
done
start client env PORT="$CLIENT_PORT" node dist/dataplane/main.js client

# Wait for the router to see a ring before printing the example.
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$CLIENT_PORT/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
cat <<MSG
[run] ready: ZooKeeper 127.0.0.1:$ZK_PORT, servers on ${SERVER_PORTS[*]}, client on 127.0.0.1:$CLIENT_PORT
[run] try:
[run]   curl -X POST 'http://127.0.0.1:$CLIENT_PORT/api/post?key=greeting&value=hello'
[run]   curl 'http://127.0.0.1:$CLIENT_PORT/api/get/greeting'
[run]   curl 'http://127.0.0.1:$CLIENT_PORT/api/ring'
[run] internal routes need the cluster token in $TOKEN_FILE (README "Security")
[run] press Ctrl-C to stop
MSG
# Stay in the foreground until a signal arrives or a process dies on its own.
while :; do
  for name in "${names[@]}"; do
    pid="$(pid_of "$name")"
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "[run] $name exited; stopping the rest" >&2
      exit 1
    fi
  done
  sleep 1
done
