#!/usr/bin/env bash
# Writes the hub's configuration under DIR/hub/etc: certificates and
# kubeconfigs for metrics-server and the hub's kube-proxy (signed by the CA
# that hack/testenv.sh made in DIR/pki), the CoreDNS and kube-proxy configs,
# the API objects that register metrics-server, and the nodes' kube-router RBAC. Run by
# hack/node/start-hub.sh once the control plane is up.
#
# Usage: hack/node/write-hub-config.sh DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR="$1"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
API_PORT="$(sed -n 's/^API_PORT=//p' "$DIR/testenv.env")"
[[ -n "$API_PORT" ]] || die "$DIR/testenv.env has no API_PORT; is the control plane up?"

readonly ETC="$DIR/hub/etc" CA_DIR="$DIR/pki" API_HOST=127.0.0.1
mkdir -p "$ETC/pki"
# shellcheck source-path=SCRIPTDIR source=pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/pki.sh"
# shellcheck source-path=SCRIPTDIR source=kube-proxy-config.sh
source "$(dirname "${BASH_SOURCE[0]}")/kube-proxy-config.sh"

# metrics-server: a client identity (bound to its RBAC in metrics-server.yaml
# below) for the API server and the kubelets, and a serving certificate for
# the name the aggregator dials, <service>.<namespace>.svc.
issue_cert metrics-server "/CN=system:metrics-server" clientAuth
issue_cert metrics-server-serving "/CN=metrics-server.kube-system.svc" serverAuth \
  "DNS:metrics-server.kube-system.svc,IP:$HUB_IP"
write_kubeconfig metrics-server system:metrics-server
# The hub's kube-proxy: the tests run in the hub and reach Services.
issue_cert kube-proxy "/CN=system:kube-proxy" clientAuth
write_kubeconfig kube-proxy system:kube-proxy

# Cluster names only: there is no upstream to forward the rest to. The admin
# kubeconfig is enough for a throwaway test cluster. Pods on every node reach
# it on the hub IP.
cat >"$ETC/Corefile" <<EOF
.:53 {
    bind $HUB_IP
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

# The hub has no kubelet and no Node; its kube-proxy only writes Service rules
# for the processes there (the tests, the API server dialling metrics-server).
write_kube_proxy_config "$HUB_NAME" "$HUB_IP"


# kube-router (firewall only, one per node, start-node.sh) enforces
# NetworkPolicy. Its informers list and watch these whatever mode it runs in,
# and it reads its own Node; it writes nothing.
cat >"$ETC/kube-router-rbac.yaml" <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: dcache:kube-router
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods, namespaces, services]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: dcache:kube-router
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dcache:kube-router}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-router}
EOF

# metrics-server runs as a process on the hub IP (start-hub.sh), like CoreDNS.
# The aggregator reaches it through a Service with no selector whose one
# EndpointSlice names that address; the hub's kube-proxy routes the ClusterIP there
# for the API server as for any process in the hub. The caBundle is the
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
- addresses: [$HUB_IP]
  conditions: {ready: true}
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
