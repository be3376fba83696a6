# ClusterConnect. `make demo` runs the whole system locally; `make test` installs what it needs and runs every suite.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Every tool runs on the Node the npm `node` package installs (Node 24), whatever Node is on the machine.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

SOURCES := $(shell find proxy operator test -name '*.ts' -not -path '*/node_modules/*' 2>/dev/null)

##@ Quick start
demo: build ## Bring the whole system up locally and show kubectl through it (Ctrl+C cleans up)
	@test/demo.sh

test: ## Install what is needed and run every suite (unit, lint, e2e against a real control plane)
	@test/run-all.sh

##@ Development
deps: node_modules/.installed ## npm ci (fails on any deprecated package)

node_modules/.installed: package.json package-lock.json
	@test/npm-ci.sh
	@touch $@

build: dist/.built ## Compile TypeScript to dist/

dist/.built: node_modules/.installed tsconfig.json $(SOURCES)
	tsc -p tsconfig.json
	@touch $@

lint: build ## eslint with typescript-eslint (type-aware)
	eslint --max-warnings 0 .

test-unit: build ## Unit tests (no cluster needed) with a coverage summary
	c8 --reporter=text-summary --exclude 'dist/test/**' mocha --config test/unit/.mocharc.json

test-integration: build cluster-up ## Real processes on loopback: relay, agents, client proxy, TLS upstream, real kubectl
	mocha --config test/integration/.mocharc.json

test-e2e: build cluster-up ## End-to-end tests against the local control plane
	mocha --config test/e2e/.mocharc.json

##@ Benchmarks (figures and ratios against a baseline measured in the same run; never pass/fail on time)
bench: bench-tunnel bench-authproxy bench-e2e ## All benchmarks, one after the other

bench-e2e: build cluster-up ## Direct vs kubectl proxy vs the whole chain: GET p50/p99, LIST MB/s, watch event latency, proxy start
	test/install-bench-tools.sh
	node dist/test/bench/e2e.js

bench-tunnel: build ## Tunnel vs a plain TCP pipe: throughput, 1 KB p50/p99, 1,000 streams, relay RSS per idle agent
	node dist/test/bench/tunnel.js

bench-authproxy: build cluster-up ## Added latency of kube-aad-proxy vs the apiserver (GET, LIST)
	node dist/test/bench/authproxy.js

##@ Container image (needs a container engine; not available on the development machines)
image: ## Build the one image every role runs from
	docker build -t clusterconnect:$$(node -p 'require("./package.json").version') .

##@ Local control plane (real Kubernetes binaries, kwok fake nodes)
binaries: ## Build/cache kube-apiserver & co., etcd, kwok and helm (outside the checkout)
	@test/cluster/build-binaries.sh

cluster-up: ## Start the local cluster; writes .cache/cluster/{kubeconfig,env}
	@test/cluster/cluster.sh up

cluster-down: ## Stop the local cluster; leaves no process or port behind
	@test/cluster/cluster.sh down

cluster-status: ## Say whether the local cluster is running
	@test/cluster/cluster.sh status

clean: cluster-down ## Remove build outputs and local state (the binary cache stays)
	rm -rf dist coverage .cache

help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: demo test deps build lint test-unit test-integration test-e2e bench bench-e2e bench-tunnel bench-authproxy image binaries cluster-up cluster-down cluster-status clean help
