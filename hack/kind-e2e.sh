#!/usr/bin/env bash
# The end-to-end suite (test/e2e) on kind, for machines with Docker. It is the
# same suite `make e2e` runs on the node built here (hack/node.sh); only the
# cluster and the way images reach it differ. Needs docker, kind, kubectl and
# network access to Docker Hub and GitHub (for metrics-server's manifest).
#
# Usage: hack/kind-e2e.sh            (KEEP_CLUSTER=1 leaves the cluster up)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly CLUSTER="${KIND_CLUSTER:-dcache-e2e}"
readonly IMAGE=distributed-cache:e2e ZOOKEEPER_IMAGE=zookeeper:3.9 BUSYBOX_IMAGE=busybox:1.36
readonly METRICS_SERVER=https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.8.0/components.yaml

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "kind-e2e: '$tool' is not on PATH" >&2; exit 1; }
done

kind create cluster --name "$CLUSTER" --config hack/kind/three-zones.yaml --wait 180s
[[ "${KEEP_CLUSTER:-}" == 1 ]] || trap 'kind delete cluster --name "$CLUSTER"' EXIT
export KUBECONFIG
KUBECONFIG="$(mktemp)"
kind get kubeconfig --name "$CLUSTER" >"$KUBECONFIG"

# The HPA test needs the resource metrics API; kind's kubelets serve self-signed certificates.
kubectl apply -f "$METRICS_SERVER"
kubectl -n kube-system patch deployment metrics-server --type=json \
  -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--kubelet-insecure-tls"}]'

docker build -t "$IMAGE" .
docker pull "$ZOOKEEPER_IMAGE"
docker pull "$BUSYBOX_IMAGE"
kind load docker-image --name "$CLUSTER" "$IMAGE" "$ZOOKEEPER_IMAGE" "$BUSYBOX_IMAGE"
kubectl -n kube-system rollout status deployment/metrics-server --timeout=180s

npm ci --no-audit --no-fund
npm run build
E2E_IMAGE="$IMAGE" E2E_ZOOKEEPER_IMAGE="$ZOOKEEPER_IMAGE" E2E_BUSYBOX_IMAGE="$BUSYBOX_IMAGE" \
  node_modules/.bin/mocha --config .mocharc.e2e.json
