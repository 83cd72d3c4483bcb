#!/usr/bin/env bash
# Writes one node's configuration under NODE_DIR/etc: certificates and
# kubeconfigs for its kubelet, kube-proxy and kube-router (signed by the CA that
# hack/testenv.sh made in CLUSTER_DIR/pki), and its containerd, CNI, kubelet
# and kube-proxy configs. Run by hack/node/start-node.sh.
#
# Usage: hack/node/write-node-config.sh NODE_DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 NODE_DIR" >&2; exit 2; }
DIR="$1"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck disable=SC1091 # written by hack/node.sh up
source "$DIR/node.env"
API_PORT="$(sed -n 's/^API_PORT=//p' "$CLUSTER_DIR/testenv.env")"
[[ -n "$API_PORT" ]] || die "$CLUSTER_DIR/testenv.env has no API_PORT; is the control plane up?"

readonly ETC="$DIR/etc" CA_DIR="$CLUSTER_DIR/pki" API_HOST="$HUB_IP"
mkdir -p "$ETC/pki" "$ETC/cni"
# shellcheck source-path=SCRIPTDIR source=pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/pki.sh"
# shellcheck source-path=SCRIPTDIR source=kube-proxy-config.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube-proxy-config.sh"

# The Node authorizer and NodeRestriction know a kubelet by this name and
# group; the bootstrap RBAC policy binds system:node-proxier to kube-proxy.
issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
issue_cert kube-proxy "/CN=system:kube-proxy" clientAuth
write_kubeconfig kubelet "system:node:$NODE_NAME"
write_kubeconfig kube-proxy system:kube-proxy
# kube-router's RBAC (write-hub-config.sh) is bound to this user.
issue_cert kube-router "/CN=system:kube-router" clientAuth
write_kubeconfig kube-router system:kube-router
# The kubelet's serving certificate, from the same CA rather than the
# self-signed one it makes by default, so metrics-server verifies the kubelet
# it scrapes instead of skipping TLS verification.
issue_cert kubelet-serving "/CN=system:node:$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"

# containerd keeps its standard paths (/var/lib/containerd, /run/containerd),
# which start-node.sh has bind-mounted from NODE_DIR/root. Nothing it reads may come
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
  bin_dir = "$DIR/image-verifiers"
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
# which start-node.sh has bind-mounted from NODE_DIR/root.
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
# CoreDNS, a process of the hub (start-hub.sh), answers on the hub IP.
clusterDNS: [$HUB_IP]
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
# A node that stops renewing its lease is noticed sooner (the controller
# manager's --node-monitor-grace-period is shortened to match, testenv.sh).
nodeLeaseDurationSeconds: 10
nodeStatusUpdateFrequency: 4s
EOF

write_kube_proxy_config "$NODE_NAME" "$NODE_IP"

