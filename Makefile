# roomgate — the two commands: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin/roomgate
WEB := rooms/web
APT_TEST_PKGS := chromium tshark sip-tester baresip-core baresip-ffmpeg sox espeak-ng iproute2 util-linux
export GOFLAGS := -buildvcs=false

.PHONY: all build web run test test-deps test-unit test-e2e fuzz bench clean

all: build

## Web UI bundle (livekit-client, esbuild) embedded into the binary.
$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

web: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run --silent build

build: web
	$(GO) build -ldflags "-s -w $(LDFLAGS)" -o $(BIN) ./cmd/roomgate

## Builds everything and runs the gateway on the default configuration.
run: build
	./$(BIN) serve --config configs/roomgate.yaml

## Installs what the tests need (idempotent), then runs every test.
test: test-deps build test-unit test-e2e

test-deps:
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(GO) mod download

test-unit: web
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	cd $(WEB) && npm test --silent

# End-to-end tests (real roomgate processes, headless Chromium) run inside a private
# network namespace that has only loopback: no packet can leave the machine.
test-e2e: build
	$(GO) test -race -c -tags e2e -o bin/e2e.test ./cmd/roomgate
	unshare -n bash -c 'ip link set lo up && ROOMGATE_BIN=$(CURDIR)/$(BIN) ROOMGATE_REPO=$(CURDIR) ./bin/e2e.test -test.v -test.count=1 -test.timeout=20m'

fuzz:
	@echo "see README: go test -fuzz=FuzzX -fuzztime=30s ./h323/per"

clean:
	rm -rf bin $(WEB)/node_modules
