#!/usr/bin/env bash
# A real, loopback-only Kubernetes control plane for tests: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler, built from the
# Go modules pinned in hack/k8s (see hack/k8s/README.md).
#
# Usage:
#   hack/testenv.sh up DIR    start it with all state under DIR; returns once
#                             /readyz is ok and serviceaccount default/default
#                             exists. Writes DIR/kubeconfig (admin) and
#                             DIR/testenv.env (ports, bin dir).
#   hack/testenv.sh down DIR  stop exactly the processes `up` started (pid
#                             files in DIR): TERM, wait, then KILL.
# Both are idempotent. Logs are in DIR/logs/.
#
# TESTENV_NODE_IP=IP (hack/node.sh sets it, inside a network namespace of
# its own) makes it a control plane for a real node at IP: the API server
# listens on every address and advertises IP, so the `kubernetes` Service has
# an endpoint that pods reach; it gets a client certificate for kubelets
# (logs, exec); and the node lifecycle controller runs. Unset, it is the
# loopback-only control plane described above. With it, for clusters whose
# nodes the tests fail on purpose:
#   TESTENV_NODE_MONITOR_GRACE_PERIOD=20s  how long a node may be silent
#                                          before it is NotReady (default 50s)
#   TESTENV_POD_EVICTION_SECONDS=30        how long pods stay on a node that is
#                                          not ready or unreachable (default 300)
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HACK_DIR
# Stop order; start order is the reverse.
readonly COMPONENTS=(kube-scheduler kube-controller-manager kube-apiserver etcd)
readonly READY_TIMEOUT_SECONDS="${TESTENV_READY_TIMEOUT_SECONDS:-180}"
readonly STOP_TIMEOUT_SECONDS=20
# The first address of this range is the `kubernetes` Service's ClusterIP.
readonly SERVICE_CIDR=10.0.0.0/24
readonly SERVICE_ACCOUNT_ISSUER=https://kubernetes.default.svc.cluster.local
readonly NODE_IP="${TESTENV_NODE_IP:-}"
readonly NODE_MONITOR_GRACE_PERIOD="${TESTENV_NODE_MONITOR_GRACE_PERIOD:-}"
readonly POD_EVICTION_SECONDS="${TESTENV_POD_EVICTION_SECONDS:-}"

die() { echo "testenv: error: $*" >&2; exit 1; }
say() { echo "testenv: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

usage() { die "usage: $0 up DIR | down DIR"; }

# ---------------------------------------------------------------- processes

# shellcheck source-path=SCRIPTDIR source=lib/components.sh
source "$HACK_DIR/lib/components.sh"

stop_all() {
  local name
  for name in "${COMPONENTS[@]}"; do stop_component "$name"; done
}

# Starts a component in its own session so that it outlives this script and
# ignores signals sent to the caller's process group (a Ctrl-C in a test run
# is handled by `down`, not by killing half the control plane).
start_component() {
  local name="$1"; shift
  say "starting $name"
  echo "----- $(date -u +%FT%TZ) testenv up: starting $name" >>"$LOG_DIR/$name.log"
  setsid "$BIN_DIR/$name" "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  await_exec "$name"
}

show_log_tail() {
  echo "----- last lines of $LOG_DIR/$1.log -----" >&2
  tail -n 30 "$LOG_DIR/$1.log" >&2 || true
  echo "-----" >&2
}

# Polls a check until it passes, failing fast if the component died.
wait_until() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  local waited_from_ms
  waited_from_ms="$(now_ms)"
  until "$@" >/dev/null 2>&1; do
    if ! live_pid_of "$name" >/dev/null; then
      show_log_tail "$name"
      die "$name exited while waiting for $what"
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail "$name"
      die "timed out after ${READY_TIMEOUT_SECONDS}s waiting for $what"
    fi
    sleep 0.25
  done
  say "  ok: $what (after $(( $(now_ms) - waited_from_ms )) ms)"
}

# ------------------------------------------------------------------- ports

# Ports come from below the kernel's ephemeral range, so they cannot collide
# with the source ports of outgoing connections.
declare -a TAKEN_PORTS=()
pick_port() {
  local var="$1" low high port _
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  high=$((low - 1)); low=10000
  for _ in $(seq 1 200); do
    port=$((low + (RANDOM * 32768 + RANDOM) % (high - low)))
    [[ " ${TAKEN_PORTS[*]-} " == *" $port "* ]] && continue
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      TAKEN_PORTS+=("$port")
      printf -v "$var" '%s' "$port"
      return 0
    fi
  done
  die "found no free loopback port between $low and $high"
}

# --------------------------------------------------------------------- PKI

ensure_command() {
  local cmd="$1" package="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  say "'$cmd' is missing; installing Debian package '$package'"
  [[ "$(id -u)" == 0 ]] || die "'$cmd' is missing and installing it needs root: apt-get install $package"
  command -v apt-get >/dev/null 2>&1 || die "'$cmd' is missing and there is no apt-get to install '$package'"
  if ! { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2; }; then
    die "could not install '$package'"
  fi
}

# make_ca NAME COMMON_NAME: a self-signed CA valid for a year, with the
# extensions spelled out here so the result does not depend on the system's
# openssl.cnf.
make_ca() {
  local name="$1" common_name="$2"
  cat >"$PKI_DIR/$name.cnf" <<EOF
[req]
distinguished_name = dn
x509_extensions = ca_ext
prompt = no
[dn]
CN = $common_name
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
EOF
  openssl req -x509 -new -config "$PKI_DIR/$name.cnf" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 365 -keyout "$PKI_DIR/$name.key" -out "$PKI_DIR/$name.crt" 2>/dev/null
}

# issue_cert CA NAME "O=org,CN=name" EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
issue_cert() {
  local ca="$1"; shift
  local name="$1" subject="$2" eku="$3" sans="${4:-}" part parts
  {
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n'
    IFS=',' read -ra parts <<<"$subject"
    for part in "${parts[@]}"; do echo "$part"; done
  } >"$PKI_DIR/$name.cnf"
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "extendedKeyUsage = $eku"
    echo "authorityKeyIdentifier = keyid"
    if [[ -n "$sans" ]]; then echo "subjectAltName = $sans"; fi
  } >"$PKI_DIR/$name.ext"
  openssl req -new -config "$PKI_DIR/$name.cnf" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -keyout "$PKI_DIR/$name.key" -out "$PKI_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/$ca.crt" -CAkey "$PKI_DIR/$ca.key" \
    -CAcreateserial -CAserial "$PKI_DIR/$ca.srl" -days 365 -extfile "$PKI_DIR/$name.ext" \
    -out "$PKI_DIR/$name.crt" 2>/dev/null
}

PKI_FILES=(ca.crt apiserver.crt admin.crt controller-manager.crt scheduler.crt
  front-proxy-ca.crt front-proxy-client.crt sa.key sa.pub)
if [[ -n "$NODE_IP" ]]; then PKI_FILES+=(apiserver-kubelet-client.crt); fi
readonly PKI_FILES

make_pki() {
  local file complete=true
  for file in "${PKI_FILES[@]}"; do [[ -s "$PKI_DIR/$file" ]] || complete=false; done
  $complete && return 0
  say "creating a CA, certificates and the service-account signing key in $PKI_DIR"
  rm -rf "$PKI_DIR"
  mkdir -p "$PKI_DIR"
  chmod 700 "$PKI_DIR"
  make_ca ca "distributed-cache testenv CA"
  issue_cert ca apiserver "CN=kube-apiserver" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1${NODE_IP:+,IP:$NODE_IP}"
  # The admin is in system:masters; the controller manager and scheduler use
  # the identities that the bootstrap RBAC policy grants their permissions to.
  issue_cert ca admin "O=system:masters,CN=admin" clientAuth
  issue_cert ca controller-manager "CN=system:kube-controller-manager" clientAuth
  issue_cert ca scheduler "CN=system:kube-scheduler" clientAuth
  # The aggregation layer's own CA, as in kubeadm clusters. Without it the
  # controller manager and scheduler log errors about a missing
  # requestheader CA in kube-system/extension-apiserver-authentication.
  make_ca front-proxy-ca "distributed-cache testenv front-proxy CA"
  issue_cert front-proxy-ca front-proxy-client "CN=front-proxy-client" clientAuth
  # What the API server shows a kubelet when it asks for logs or an exec.
  if [[ -n "$NODE_IP" ]]; then
    issue_cert ca apiserver-kubelet-client "O=system:masters,CN=kube-apiserver-kubelet-client" clientAuth
  fi
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI_DIR/sa.key" 2>/dev/null
  openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
  chmod 600 "$PKI_DIR"/*.key
}

# Certificates are embedded so the kubeconfig still works when copied.
write_kubeconfig() {
  local file="$1" user="$2" cert_name="$3"
  (
    umask 077
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/$cert_name.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/$cert_name.key")
contexts:
- name: $user@testenv
  context:
    cluster: testenv
    user: $user
current-context: $user@testenv
EOF
  )
}

# ------------------------------------------------------------------ checks

etcd_healthy() { curl -fsS "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
apiserver_ready() { [[ "$(curl -fsS --cacert "$PKI_DIR/ca.crt" "https://127.0.0.1:$API_PORT/readyz")" == ok ]]; }
# Both serve /healthz to anonymous callers over a self-signed in-memory cert.
component_healthy() { [[ "$(curl -fsSk "https://127.0.0.1:$1/healthz")" == ok ]]; }
default_service_account_exists() {
  "$BIN_DIR/kubectl" --kubeconfig "$DIR/kubeconfig" -n default get serviceaccount default
}

# True when every component `up` started is alive and the API is ready.
already_up() {
  local name
  [[ -f "$DIR/testenv.env" && -f "$DIR/kubeconfig" ]] || return 1
  for name in "${COMPONENTS[@]}"; do live_pid_of "$name" >/dev/null || return 1; done
  API_PORT="$(sed -n 's/^API_PORT=//p' "$DIR/testenv.env")"
  [[ -n "$API_PORT" ]] && apiserver_ready
}

# --------------------------------------------------------------- commands

cmd_up() {
  local started_ms
  started_ms="$(now_ms)"
  mkdir -p "$DIR" "$LOG_DIR"
  if already_up; then
    say "already up in $DIR (KUBECONFIG=$DIR/kubeconfig)"
    return 0
  fi
  # Leftovers of a run that half-started or whose processes died.
  stop_all

  BIN_DIR="$("$HACK_DIR/build-k8s.sh")"
  ensure_command openssl openssl
  ensure_command curl curl
  make_pki

  # Every start is a fresh cluster: no etcd state survives a down/up cycle.
  rm -rf "$DIR/etcd" "$DIR/testenv.env"
  local ETCD_PEER_PORT KCM_PORT SCHEDULER_PORT
  pick_port ETCD_PORT; pick_port ETCD_PEER_PORT; pick_port API_PORT
  pick_port KCM_PORT; pick_port SCHEDULER_PORT

  write_kubeconfig "$DIR/kubeconfig" admin admin
  write_kubeconfig "$DIR/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  write_kubeconfig "$DIR/scheduler.kubeconfig" system:kube-scheduler scheduler

  # If anything below fails or is interrupted, stop what was started; the
  # logs stay for reading.
  trap 'say "up did not finish; stopping what was started (logs in $LOG_DIR)"; stop_all' EXIT
  trap 'exit 130' INT TERM

  start_component etcd \
    --name=testenv --data-dir="$DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true --log-level=warn
  wait_until etcd "etcd /health on 127.0.0.1:$ETCD_PORT" etcd_healthy

  # The endpoint reconciler refuses a loopback advertise address (Endpoints
  # may not point at 127.0.0.0/8); with no kubelets, no pod would dial it.
  local address_args=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none)
  local controllers='*,-node-lifecycle-controller'
  if [[ -n "$NODE_IP" ]]; then
    # Every address here is inside the node's own network namespace.
    address_args=(--bind-address=0.0.0.0 --advertise-address="$NODE_IP"
      --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt"
      --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key"
      --kubelet-preferred-address-types=InternalIP)
    controllers='*'
    if [[ -n "$POD_EVICTION_SECONDS" ]]; then
      address_args+=(--default-not-ready-toleration-seconds="$POD_EVICTION_SECONDS"
        --default-unreachable-toleration-seconds="$POD_EVICTION_SECONDS")
    fi
  fi
  local node_monitor_args=()
  [[ -n "$NODE_MONITOR_GRACE_PERIOD" ]] && node_monitor_args=(--node-monitor-grace-period="$NODE_MONITOR_GRACE_PERIOD")
  # PodTopologyLabels (on by default since 1.35, its gate PodTopologyLabelsAdmission
  # beta) copies a node's topology.kubernetes.io/zone onto the pods bound to it,
  # where the cache servers read their ZONE; named here so that it is visibly on.
  start_component kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    "${address_args[@]}" --secure-port="$API_PORT" \
    --cert-dir="$DIR/kube-apiserver" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --requestheader-client-ca-file="$PKI_DIR/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI_DIR/front-proxy-client.key" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,ServiceAccount,PodTopologyLabels \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --service-account-issuer="$SERVICE_ACCOUNT_ISSUER" \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --allow-privileged=true --profiling=false --v=1
  wait_until kube-apiserver "kube-apiserver /readyz on 127.0.0.1:$API_PORT" apiserver_ready

  # node-lifecycle-controller would taint and evict on behalf of kubelets
  # that do not exist here (it runs when there is a node). A short HPA period
  # keeps autoscaling tests quick.
  start_component kube-controller-manager \
    --kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --controllers="$controllers" \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI_DIR/sa.key" \
    --root-ca-file="$PKI_DIR/ca.crt" \
    --horizontal-pod-autoscaler-sync-period=5s "${node_monitor_args[@]}" \
    --profiling=false --v=1
  start_component kube-scheduler \
    --kubeconfig="$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig="$DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig="$DIR/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false --profiling=false --v=1
  wait_until kube-controller-manager "kube-controller-manager /healthz on 127.0.0.1:$KCM_PORT" component_healthy "$KCM_PORT"
  wait_until kube-scheduler "kube-scheduler /healthz on 127.0.0.1:$SCHEDULER_PORT" component_healthy "$SCHEDULER_PORT"
  # The ServiceAccount controller creating default/default shows the
  # controller manager is really reconciling, not just serving /healthz.
  wait_until kube-controller-manager "serviceaccount default/default" default_service_account_exists

  cat >"$DIR/testenv.env" <<EOF
KUBECONFIG=$DIR/kubeconfig
BIN_DIR=$BIN_DIR
API_URL=https://127.0.0.1:$API_PORT
API_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
EOF
  trap - EXIT INT TERM
  say "control plane ready in $(( $(now_ms) - started_ms )) ms: API https://127.0.0.1:$API_PORT, KUBECONFIG=$DIR/kubeconfig, kubectl at $BIN_DIR/kubectl"
}

cmd_down() {
  if [[ ! -d "$DIR" ]]; then
    say "nothing to stop: $DIR does not exist"
    return 0
  fi
  stop_all
  rm -f "$DIR/testenv.env"
  say "stopped the control plane in $DIR"
}

[[ $# -eq 2 ]] || usage
readonly COMMAND="$1"
if [[ "$COMMAND" == up ]]; then mkdir -p "$2" || die "cannot create $2"; fi
# An absolute path: it is matched against the components' command lines.
if [[ -d "$2" ]]; then DIR="$(cd "$2" && pwd)"; else DIR="$2"; fi
readonly DIR LOG_DIR="$DIR/logs" PKI_DIR="$DIR/pki"
BIN_DIR="" API_PORT="" ETCD_PORT=""

case "$COMMAND" in
  up) cmd_up ;;
  down) cmd_down ;;
  *) usage ;;
esac
