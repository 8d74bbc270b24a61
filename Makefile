# Aura's build, run, test, lint and bench entry points.
# Every build uses the patched toolchain named in go.mod (go1.26.11): the
# machine's own Go is older and has known standard-library vulnerabilities.
export GOTOOLCHAIN := auto
export GOFLAGS := -buildvcs=false

GO      ?= go
BIN     := bin/aura
DATA    ?= data
DEVKEYS ?= .dev/keys
ADDR    ?= 127.0.0.1:8080
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)

AURA_DEV := AURA_DATA=$(DATA) AURA_MASTER_KEY_FILE=$(DEVKEYS)/master.key ./$(BIN)

.PHONY: all build run test test-deps fuzz lint bench bench-reports bench-deps bench-http clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN) ./cmd/aura

# make run: a development server on the embedded defaults. The first run
# creates a development master key in .dev/keys (outside the data dir) and a
# demo tenant; later runs reuse both.
run: build
	@if [ ! -f $(DEVKEYS)/master.key ]; then \
		./$(BIN) keys generate $(DEVKEYS)/master.key && \
		echo "Created a development master key in $(DEVKEYS)/ (outside the data dir $(DATA)/). Use a real key in production."; \
	fi
	@$(AURA_DEV) demo --base-url http://$(ADDR)
	$(AURA_DEV) serve --dev --addr $(ADDR)

# make test: installs what the tests need (Chromium, sqlite3, peers built from
# the Go module proxy), fuzzes briefly, then runs every test of every package
# (which runs each fuzz target's seed corpus too).
test: test-deps fuzz
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 80m ./...

# make fuzz: each fuzz target for a budget of executions (see scripts/fuzz;
# FUZZSCALE=100 for a longer hunt).
fuzz:
	@./scripts/fuzz

test-deps:
	@./scripts/test-deps

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	./scripts/govulncheck

# make bench: every benchmark, with the figures the issues set targets for.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m ./... | tee bench.out

# make bench-reports: the report engine over 10,000+ reservations and
# 60,000+ folio lines (issue 14 targets: a month's report under 100 ms
# median, one day's figures under 30 ms); building the fixture takes about
# two minutes.
bench-reports:
	$(GO) test -run '^$$' -bench BenchmarkReports -benchtime 20x -count=1 -timeout 30m ./tenant/reports/ | tee bench-reports.out

bench-deps:
	@./scripts/bench-deps

# make bench-http: Aura served as a self-hoster runs it (replication on),
# driven by wrk at 8 and 32 connections: booking create, view, list 50.
# PB_SRC=DIR (a PocketBase checkout outside this repository) adds PocketBase
# to the same run and prints the ratios. See scripts/bench-http for settings.
bench-http: bench-deps
	@./scripts/bench-http

clean:
	rm -rf bin bench.out bench-reports.out
