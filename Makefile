# roomgate — the two commands: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin/roomgate
WEB := rooms/web
APT_TEST_PKGS := chromium tshark sip-tester baresip-core baresip-ffmpeg sox espeak-ng iproute2 util-linux nftables
export GOFLAGS := -buildvcs=false

.PHONY: all build web run test test-deps test-unit test-fuzz test-e2e fuzz bench clean

all: build

## Web UI bundle (livekit-client, esbuild) embedded into the binary.
## A node_modules that is a symlink (a git worktree sharing another checkout's) is
## left alone: npm ci through it would empty the other checkout's packages.
$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	if [ -L $(WEB)/node_modules ]; then touch -h $(WEB)/node_modules; else cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error; fi

web: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run --silent build

build: web
	$(GO) build -ldflags "-s -w $(LDFLAGS)" -o $(BIN) ./cmd/roomgate
	$(GO) build -o bin/roomsim ./cmd/roomsim

## Builds everything and runs the gateway on the default configuration.
run: build
	./$(BIN) serve --config configs/roomgate.yaml

## Installs what the tests need (idempotent), then runs every test.
test: test-deps build test-unit test-fuzz test-e2e

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

# End-to-end tests (real roomgate processes, headless Chromium, baresip, SIPp) run inside
# a private network namespace: no packet can leave the machine. Besides loopback it has a
# veth pair whose two ends both stay inside the namespace and lead nowhere: the gateway's
# LiveKit client (server-sdk-go) cannot be told to gather loopback ICE candidates, so it
# needs one non-loopback interface to gather any; all traffic still goes to 127.0.0.1.
NETNS_SETUP := ip link set lo up && ip link add rgv0 type veth peer name rgv1 && ip addr add 10.203.0.1/32 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up
test-e2e: build
	$(GO) test -race -c -tags e2e -o bin/e2e.test ./cmd/roomgate
	unshare -n bash -c '$(NETNS_SETUP) && ROOMGATE_BIN=$(CURDIR)/$(BIN) ROOMGATE_REPO=$(CURDIR) ./bin/e2e.test -test.v -test.count=1 -test.timeout=45m'

# A short run of the main fuzz targets (package:target) in CI, counted in executions
# (a time limit makes Go report a spurious "context deadline exceeded" now and then);
# `make fuzz FUZZTIME=5m`
# runs them longer. Seeds come from the shared captures; crashers land in testdata/fuzz.
FUZZ_TARGETS := h323/per:FuzzDecoderMixed h323/q931:FuzzMessage h323/tpkt:FuzzUnmarshal \
	h323/h225:FuzzH323UserInformation h323/h225:FuzzRasMessage h323/h245:FuzzMultimediaSystemControlMessage \
	sip/sdp:FuzzNegotiate sip:FuzzServiceUDP sip:FuzzServiceTCP transcode/h264:FuzzDepacketizer transcode/dtmf:FuzzReceiver gateway/rtpsession:FuzzHandleRTCP \
	gateway/rtpsession:FuzzDatagram h323:FuzzInbound h323:FuzzCall h323/ras:FuzzGatekeeper h323/control:FuzzSession \
	sip/bfcp:FuzzMessage sip/bfcp:FuzzServerStream
FUZZTIME ?= 20000x
test-fuzz fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg >/tmp/roomgate-fuzz.log 2>&1 || { cat /tmp/roomgate-fuzz.log; exit 1; }; \
		grep -E "^(ok|PASS)" /tmp/roomgate-fuzz.log | tail -n 1; \
	done

clean:
	rm -rf bin $(WEB)/node_modules
