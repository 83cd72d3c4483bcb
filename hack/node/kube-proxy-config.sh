# shellcheck shell=bash
# Sourced by write-hub-config.sh and write-node-config.sh: kube-proxy's
# configuration, the same on the hub and on every node but for its name and
# address. Expects ETC and CLUSTER_POD_CIDR.

# write_kube_proxy_config NAME BIND_ADDRESS
write_kube_proxy_config() {
  cat >"$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
# IPVS is not in this kernel (CONFIG_IP_VS is off).
mode: iptables
clientConnection:
  kubeconfig: $ETC/kube-proxy.kubeconfig
hostnameOverride: $1
# Its node IP. Without it, kube-proxy asks its Node (the hub has none, and
# waits 30 s for one).
bindAddress: $2
clusterCIDR: $CLUSTER_POD_CIDR
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
}
