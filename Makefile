# dpkit Makefile (GNU make).
#
#   make check     everything CI runs: deps, gofmt, vet, staticcheck, tests, race tests
#   make test      go test ./...
#   make debug     the mbuf/mempool tests again with -tags dpkit_debug
#   make race      go test -race -short on the concurrent packages ($(RACE_DIRS));
#                  -short trims the long differential tests, not the concurrency ones
#   make vet | lint | fmt (rewrite) | fmt-check (verify)
#   make fuzz      every Fuzz* target for $(FUZZTIME) each
#   make bench     dpkit's own ring and mempool figures (no root, no hardware)
#   make vs-dpdk   the same figures side by side with DPDK 22.11 (root, hugepages)
#   make build     go build ./... and bin/dpkit
#   make clean

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := check
# Steps of `check` must run in order (deps first), even under make -j.
.NOTPARALLEL:

GO           ?= go
TEST_TIMEOUT ?= 20m
TEST_FLAGS   ?=
FUZZTIME     ?= 10s
BENCH_FLAGS  ?=
VSDPDK_FLAGS ?=

# The packages whose tests run again under the race detector. Directories
# that do not exist yet (or hold no Go files) are left out, so the list can
# name packages before they are written.
RACE_DIRS := eal ring mempool mbuf ethdev driver hash lpm acl internal/toeplitz internal/memifproto internal/afpacket internal/tap app/testpmd internal/xsk examples
RACE_PKGS  = $(strip $(foreach d,$(RACE_DIRS),$(if $(shell find $(d) -name '*.go' -print -quit 2>/dev/null),./$(d)/...)))

GOBIN_DIR   = $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)
STATICCHECK = $(GOBIN_DIR)/staticcheck

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: check deps fmt fmt-check vet lint test debug race fuzz bench vs-dpdk build clean

check: deps fmt-check vet lint test debug race
	@echo "==> check: all passed"

deps:
	@echo "==> deps"
	bash scripts/install-deps.sh

fmt:
	@echo "==> gofmt -w"
	gofmt -l -w .

fmt-check:
	@echo "==> gofmt"
	@bad=$$(gofmt -l .); \
	if [ -n "$$bad" ]; then \
		echo "gofmt: these files need formatting (run 'make fmt'):" >&2; \
		echo "$$bad" >&2; \
		exit 1; \
	fi

vet:
	@echo "==> go vet"
	$(GO) vet ./...

lint:
	@echo "==> staticcheck"
	@[ -x "$(STATICCHECK)" ] || { echo "staticcheck not found at $(STATICCHECK): run scripts/install-deps.sh" >&2; exit 1; }
	$(STATICCHECK) ./...

test:
	@echo "==> go test"
	$(GO) test -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./...

# Debug builds (rte_mbuf's RTE_LIBRTE_MBUF_DEBUG): sanity checks on every
# alloc and free, double frees and refcount underflows panic.
debug:
	@echo "==> go test -tags dpkit_debug"
	$(GO) test -tags dpkit_debug -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./mbuf/... ./mempool/...

race:
	@echo "==> go test -race"
	@pkgs="$(RACE_PKGS)"; \
	if [ -z "$$pkgs" ]; then \
		echo "race: none of $(RACE_DIRS) exists yet, skipped"; \
	else \
		echo "$(GO) test -race -short -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) $$pkgs"; \
		$(GO) test -race -short -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) $$pkgs; \
	fi

fuzz:
	@echo "==> fuzz ($(FUZZTIME) per target)"
	GO=$(GO) bash scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) run ./cmd/dpkit bench ring $(BENCH_FLAGS)
	$(GO) run ./cmd/dpkit bench mempool $(BENCH_FLAGS)

vs-dpdk:
	bash bench/vs-dpdk.sh $(VSDPDK_FLAGS)

build:
	@echo "==> go build"
	$(GO) build ./...
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/dpkit ./cmd/dpkit

clean:
	rm -rf bin bench/results
