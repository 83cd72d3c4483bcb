# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
MOCHA := node_modules/.bin/mocha

.PHONY: help deps build run test test-unit test-dataplane bench clean

help:
	@echo "make run    - install what is missing, build, start ZooKeeper + 3 servers + 1 client on :5000"
	@echo "make test   - install what is missing, build, run the unit and integration suites"
	@echo "make bench  - the one-run benchmark (npm run bench)"

# System packages (Debian's zookeeper, a JRE, openssl, curl) and npm packages.
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
	$(MAKE) --no-print-directory test-unit test-dataplane

test-unit:
	$(MOCHA) --config .mocharc.unit.json

test-dataplane:
	$(MOCHA) --config .mocharc.dataplane.json

bench: build
	npm run bench

clean:
	rm -rf dist
