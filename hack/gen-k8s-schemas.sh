#!/usr/bin/env bash
# Regenerates operator/api/generated/kubernetes-schemas.ts from the OpenAPI
# of the pinned kube-apiserver (hack/k8s/go.mod), then the CRD that embeds it.
# Needs `npx tsc` to have compiled dist/. Starts a throwaway control plane
# unless TESTENV_DIR names a running one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN_DIR="$(hack/build-k8s.sh)"
dir="${TESTENV_DIR:-}"
if [[ -z "$dir" ]]; then
  dir="$(mktemp -d)"
  trap 'hack/testenv.sh down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
  hack/testenv.sh up "$dir" >/dev/null
fi
kubectl=("$BIN_DIR/kubectl" --kubeconfig "$dir/kubeconfig")
version="$("${kubectl[@]}" get --raw /version | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).gitVersion))')"
"${kubectl[@]}" get --raw /openapi/v3/api/v1 | node dist/hack/k8s-schemas/generate.js "$version" >operator/api/generated/kubernetes-schemas.ts
echo "gen-k8s-schemas: wrote operator/api/generated/kubernetes-schemas.ts from kube-apiserver $version; now run npx tsc and node dist/operator/api/print-crd.js > crds/cache.distributed.dev_distributedcaches.yaml" >&2
