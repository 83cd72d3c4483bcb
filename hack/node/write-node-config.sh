#!/usr/bin/env bash
# Writes the node's configuration under DIR/node/etc: certificates and
# kubeconfigs for the kubelet, kube-proxy and metrics-server (signed by the CA
# that hack/testenv.sh made in DIR/pki), the containerd, CNI, kubelet,
# kube-proxy and CoreDNS configs, and the API objects that register
# metrics-server. Run by hack/node/start.sh once the control plane is up.
#
# Usage: hack/node/write-config.sh DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR="$1"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck disable=SC1091 # written by hack/node.sh up
source "$DIR/node.env"
API_PORT="$(sed -n 's/^API_PORT=//p' "$DIR/testenv.env")"
[[ -n "$API_PORT" ]] || die "$DIR/testenv.env has no API_PORT; is the control plane up?"

readonly ETC="$DIR/node/etc" CA_DIR="$DIR/pki"
mkdir -p "$ETC/pki" "$ETC/cni"

# issue_cert NAME "/O=group/CN=user" clientAuth|serverAuth [SUBJECT_ALT_NAMES]:
# a key and a certificate from the control plane's CA, valid as long as the CA.
issue_cert() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}"
  [[ -s "$ETC/pki/$name.crt" ]] && return 0
  {
    printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n'
    echo "extendedKeyUsage = $usage"
    if [[ -n "$sans" ]]; then echo "subjectAltName = $sans"; fi
  } >"$ETC/pki/$name.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$ETC/pki/$name.key" -out "$ETC/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$ETC/pki/$name.csr" -CA "$CA_DIR/ca.crt" -CAkey "$CA_DIR/ca.key" \
    -CAcreateserial -CAserial "$ETC/pki/ca.srl" -days 365 -extfile "$ETC/pki/$name.ext" \
    -out "$ETC/pki/$name.crt" 2>/dev/null
  chmod 600 "$ETC/pki/$name.key"
}

write_kubeconfig() {
  local name="$1" user="$2"
  (
    umask 077
    cat >"$ETC/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $CA_DIR/ca.crt
users:
- name: $user
  user:
    client-certificate: $ETC/pki/$name.crt
    client-key: $ETC/pki/$name.key
contexts:
- name: $name
  context: {cluster: node, user: $user}
current-context: $name
EOF
  )
}

# The Node authorizer and NodeRestriction know a kubelet by this name and
# group; the bootstrap RBAC policy binds system:node-proxier to kube-proxy.
issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
issue_cert kube-proxy "/CN=system:kube-proxy" clientAuth
write_kubeconfig kubelet "system:node:$NODE_NAME"
write_kubeconfig kube-proxy system:kube-proxy
# The kubelet's serving certificate, from the same CA rather than the
# self-signed one it makes by default, so metrics-server verifies the kubelet
# it scrapes instead of skipping TLS verification.
issue_cert kubelet-serving "/CN=system:node:$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
# metrics-server: a client identity (bound to its RBAC in metrics-server.yaml
# below) for the API server and the kubelet, and a serving certificate for the
# name the aggregator dials, <service>.<namespace>.svc.
issue_cert metrics-server "/CN=system:metrics-server" clientAuth
issue_cert metrics-server-serving "/CN=metrics-server.kube-system.svc" serverAuth \
  "DNS:metrics-server.kube-system.svc,IP:$NODE_IP"
write_kubeconfig metrics-server system:metrics-server

# containerd keeps its standard paths (/var/lib/containerd, /run/containerd),
# which start.sh has bind-mounted from DIR/node. Nothing it reads may come
# from the host's /etc or /opt.
cat >"$ETC/containerd.toml" <<EOF
# containerd 2.x reads config version 3 and migrates it.
version = 3
root = "/var/lib/containerd"
state = "/run/containerd"
imports = []
# opt would create /opt/containerd on the host; nri is not used here.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    # Our own pause image, imported by start.sh: nothing is ever pulled.
    sandbox = "$PAUSE_IMAGE"

[plugins."io.containerd.cri.v1.runtime"]
  # This VM's capability bounding set lacks CAP_SYS_RESOURCE, so nothing can
  # set a negative oom_score_adj; without this every sandbox fails in runc
  # ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  # Pod network namespaces are pinned under /run/containerd, not /var/run/netns.
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$NODE_BIN/cni"]
    conf_dir = "$ETC/cni"
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        # The kubelet uses the cgroupfs driver: there is no systemd here.
        SystemdCgroup = false
        Root = "/run/runc-k8s"

[plugins."io.containerd.image-verifier.v1.bindir"]
  bin_dir = "$DIR/node/image-verifiers"
EOF

# One bridge for every pod; the node routes between pods and, through
# kube-proxy's rules, to Services. hairpinMode lets a pod reach itself
# through its own Service.
cat >"$ETC/cni/10-pods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

if [[ "$CGROUP_VERSION" == 1 ]]; then
  fail_cgroup_v1="# This host is on cgroup v1 (hack/node.sh detected it). Kubelets from
# 1.35 on refuse to start on v1 unless this is false.
failCgroupV1: false"
else
  fail_cgroup_v1="# cgroup v2 host (hack/node.sh detected it): the default is right.
failCgroupV1: true"
fi

# The kubelet keeps its standard paths (/var/lib/kubelet, /var/log/pods),
# which start.sh has bind-mounted from DIR/node.
cat >"$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
$fail_cgroup_v1
cgroupDriver: cgroupfs
cgroupsPerQOS: true
# A cgroup of this node's own (hack/node.sh creates it), so two nodes on one
# machine never clean up each other's pods, and down knows what to remove.
cgroupRoot: $CGROUP_ROOT
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
imageServiceEndpoint: unix:///run/containerd/containerd.sock
address: $NODE_IP
port: 10250
tlsCertFile: $ETC/pki/kubelet-serving.crt
tlsPrivateKeyFile: $ETC/pki/kubelet-serving.key
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CA_DIR/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
# CoreDNS, a process of this node (start.sh), answers on the node IP.
clusterDNS: [$NODE_IP]
# No upstream resolver: the host's is unreachable from here.
resolvConf: ""
failSwapOn: false
# CAP_SYS_RESOURCE is missing on this VM, so no negative oom_score_adj.
oomScoreAdj: 0
# Disk and memory are shared with other jobs on the machine: evict only when
# they are really short, not when a neighbour fills the disk to 90%.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
imageGCHighThresholdPercent: 100
serializeImagePulls: false
EOF

# Cluster names only: there is no upstream to forward the rest to. The admin
# kubeconfig is enough for a throwaway test node.
cat >"$ETC/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    ready 127.0.0.1:8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $DIR/kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
EOF

cat >"$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# IPVS is not in this kernel (CONFIG_IP_VS is off).
mode: iptables
clientConnection:
  kubeconfig: $ETC/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
# NodePorts on the node IP only, not on loopback.
nodePortAddresses: [primary]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# CAP_SYS_RESOURCE is missing on this VM, so no negative oom_score_adj.
oomScoreAdj: 0
conntrack:
  # nf_conntrack_max is read-only outside the initial network namespace;
  # 0 leaves it and the timeouts alone.
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF

# metrics-server runs as a process on the node IP (start.sh), like CoreDNS.
# The aggregator reaches it through a Service with no selector whose one
# EndpointSlice names that address; kube-proxy routes the ClusterIP there for
# the API server as for any process in the namespace. The caBundle is the
# control plane's CA, which signed metrics-server's serving certificate.
cat >"$ETC/metrics-server.yaml" <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-server
rules:
# The kubelet authorizes /metrics/resource as nodes/metrics.
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:metrics-server
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:metrics-server}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
# To check the callers the aggregator forwards (TokenReview,
# SubjectAccessReview) ...
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-server:system:auth-delegator
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
# ... and to read the front-proxy CA that tells the aggregator's requests
# apart (kube-system/extension-apiserver-authentication).
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: metrics-server-auth-reader
  namespace: kube-system
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
# Whoever may view a namespace may read its pods' metrics, as in real clusters.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
spec:
  ports:
  - {name: https, port: 443, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server
  namespace: kube-system
  labels:
    kubernetes.io/service-name: metrics-server
    # Not the EndpointSlice controller's: it leaves this slice alone.
    endpointslice.kubernetes.io/managed-by: node.distributed-cache.invalid
addressType: IPv4
ports:
- {name: https, port: $METRICS_SERVER_PORT, protocol: TCP}
endpoints:
- addresses: [$NODE_IP]
  conditions: {ready: true}
  nodeName: $NODE_NAME
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: metrics-server, namespace: kube-system, port: 443}
  caBundle: $(base64 -w0 "$CA_DIR/ca.crt")
EOF
