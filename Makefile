# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
MOCHA := node_modules/.bin/mocha

.PHONY: help deps build run test test-unit test-dataplane test-contract test-history test-monitoring test-control-plane test-operator test-helm test-e2e e2e testenv testenv-down k8s-schemas crd install deploy run-operator bench clean
TESTENV_DIR ?= .tmp/testenv
KUBECTL ?= kubectl

help:
	@echo "make run    - install what is missing, build, start ZooKeeper + 3 servers + 1 client on :5000"
	@echo "make test   - install what is missing, build, run the unit and integration suites"
	@echo "make bench  - the one-run benchmark (npm run bench)"
	@echo "make install / deploy / run-operator - apply the CRD / apply the operator's manifests / run the operator locally"
	@echo "make testenv - start a real Kubernetes control plane (etcd, apiserver, controller-manager, scheduler) to poke at with kubectl"
	@echo "make e2e     - a real three-node cluster, one zone per node (kubelets, containerd, kube-proxy), in network namespaces, then test/e2e on it"

# System packages (Debian's zookeeper, a JRE, openssl, curl, wrk, redis for the bench) and npm packages.
deps: node_modules/.installed
	@hack/ensure-prereqs.sh

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: deps
	npm run build --silent

run: build
	hack/run-local.sh

test: build
	$(MAKE) --no-print-directory test-unit test-dataplane test-contract test-history test-monitoring test-control-plane test-operator test-helm test-e2e

test-unit:
	$(MOCHA) --config .mocharc.unit.json

test-dataplane:
	$(MOCHA) --config .mocharc.dataplane.json

# The router's published contract (openapi.yaml) fuzzed by schemathesis against a live router; the
# script installs it into ~/.cache first when missing (once per pinned version).
test-contract:
	hack/ensure-schemathesis.sh >/dev/null
	$(MOCHA) --config .mocharc.contract.json

# Linearizability: recorded histories checked by porcupine (hack/porcupine, built once into ~/.cache).
# placement-upgrade.test.ts upgrades a fleet of 8a282b5, the release before zone placement, built from
# git into ~/.cache once (RELEASE_BEFORE_PLACEMENT in test/support/previous-release.ts; a unit test
# checks the two agree).
test-history:
	cd hack/porcupine && GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly go test ./...
	hack/build-porcupine.sh >/dev/null
	hack/build-release.sh 8a282b5 >/dev/null
	$(MOCHA) --config .mocharc.history.json

# promtool (hack/promtool, built once into ~/.cache; minutes when cold, outside mocha's timeouts) lints
# a live server's, router's and the operator's /metrics, and checks and tests manifests/monitoring/alerts.yaml.
test-monitoring:
	hack/build-promtool.sh >/dev/null
	$(MOCHA) --config .mocharc.monitoring.json

# Builds the Kubernetes binaries from Go modules first (cached under ~/.cache; minutes when cold),
# outside mocha's timeouts so that its progress shows.
test-control-plane:
	hack/build-k8s.sh >/dev/null
	$(MOCHA) --config .mocharc.control-plane.json

test-operator:
	hack/build-k8s.sh >/dev/null
	$(MOCHA) --config .mocharc.operator.json

# charts/distributed-cache: helm lint, helm template, the same objects as manifests/, and an install,
# upgrade and uninstall on the real control plane. helm (hack/helm) is built into ~/.cache first.
test-helm:
	hack/build-k8s.sh >/dev/null
	hack/build-helm.sh >/dev/null
	$(MOCHA) --config .mocharc.helm.json

# Regenerates operator/api/generated/kubernetes-schemas.ts (the Kubernetes types the CRD embeds) from a
# real API server's OpenAPI; an operator test fails when the committed file differs from the live one.
k8s-schemas: build
	hack/build-k8s.sh >/dev/null
	hack/gen-k8s-schemas.sh

# Regenerates crds/ from operator/api (a unit test fails when the committed CRD is stale).
crd: build
	node dist/operator/api/print-crd.js > crds/cache.distributed.dev_distributedcaches.yaml

# Server-side apply: the CRD is too large for client-side apply's annotation.
install:
	$(KUBECTL) apply --server-side -k crds/

deploy:
	$(KUBECTL) apply --server-side -k manifests/

# Runs the operator here against the current KUBECONFIG (its Lease lives in distributed-cache-system).
run-operator: build install
	$(KUBECTL) apply --server-side -f manifests/namespace.yaml
	node dist/operator/main.js

testenv: build
	hack/testenv.sh up $(TESTENV_DIR)
	@echo "export KUBECONFIG=$(abspath $(TESTENV_DIR))/kubeconfig PATH=$$(hack/build-k8s.sh --print-bin-dir):\$$PATH"

testenv-down:
	hack/testenv.sh down $(TESTENV_DIR)

# npm runs the build itself first (prebench).
bench: deps
	npm run bench

clean:
	rm -rf dist

# End to end on a real cluster of three nodes in three zones: hack/node.sh runs the control plane in a
# hub network namespace and containerd, a kubelet and kube-proxy per node in namespaces of their own;
# test/e2e runs in the hub, and fails nodes with hack/node.sh kill/freeze/partition. Binaries are built
# into ~/.cache first (minutes when cold), outside mocha. `down` runs whatever happens.
E2E_NODE_DIR ?= .tmp/node
e2e: build test-e2e

# The images (hack/build-images.sh: Debian + Node bases, then buildah on the Dockerfile and on
# hack/images/zookeeper) are imported into the node's containerd; the suite reads their names from env.
E2E_IMAGE ?= distributed-cache.invalid/distributed-cache:e2e
E2E_ZOOKEEPER_IMAGE ?= distributed-cache.invalid/zookeeper:3.8
test-e2e:
	hack/build-k8s.sh >/dev/null
	hack/build-node.sh >/dev/null
	E2E_IMAGE=$(E2E_IMAGE) E2E_ZOOKEEPER_IMAGE=$(E2E_ZOOKEEPER_IMAGE) hack/build-images.sh >/dev/null
	@trap 'hack/node.sh down $(E2E_NODE_DIR)' EXIT; trap 'exit 130' INT TERM; \
	  images="$$(E2E_IMAGE=$(E2E_IMAGE) E2E_ZOOKEEPER_IMAGE=$(E2E_ZOOKEEPER_IMAGE) hack/build-images.sh --print-dir)" && \
	  hack/node.sh up $(E2E_NODE_DIR) && \
	  hack/node.sh import $(E2E_NODE_DIR) "$$images/distributed-cache.tar" "$$images/zookeeper.tar" && \
	  hack/node.sh exec $(E2E_NODE_DIR) -- env E2E_IMAGE=$(E2E_IMAGE) E2E_ZOOKEEPER_IMAGE=$(E2E_ZOOKEEPER_IMAGE) \
	    $(MOCHA) --config .mocharc.e2e.json
