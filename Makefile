# n3x — the two commands a newcomer runs:
#   make demo   build the tools and run the pipeline on examples/edge-lab into out/
#   make test   install the real test tools (if missing) and run every test
# `make check` is the one gate (fmt, clippy, tests, golden diff, shellcheck, Nix parse);
# CI runs it through .ci/run.

CARGO   ?= cargo
OUT     ?= out
BIN     := $(or $(CARGO_TARGET_DIR),target)/release
EXAMPLE ?= examples/edge-lab/inventory.yaml
INVENTORY ?=

.PHONY: demo render bench-render build test check fmt clippy lint-scripts nix-parse golden-update bench install-test-tools clean

# The release binaries link OpenSSL (which ssh2 needs) statically where its static
# libraries are installed (Debian: libssl-dev, which scripts/install-test-tools installs).
# Loading libssl.so and libcrypto.so cost ~2.5 ms per process start, half of what
# `n3x-secrets decrypt` takes (docs/render.md). Elsewhere (no libssl.a, the Nix build) the
# build links OpenSSL dynamically as before.
OPENSSL_A_DIR := $(firstword $(foreach d,$(wildcard /usr/lib/*/libssl.a /usr/lib64/libssl.a /usr/lib/libssl.a),$(if $(wildcard $(dir $(d))libcrypto.a),$(dir $(d)))))
ifneq ($(OPENSSL_A_DIR),)
build: export OPENSSL_STATIC := 1
build: export OPENSSL_NO_PKG_CONFIG := 1
build: export OPENSSL_LIB_DIR := $(OPENSSL_A_DIR)
build: export OPENSSL_INCLUDE_DIR := /usr/include
endif

# The tools that never look a user or host name up (no NSS: disko, netplan, kube-bootstrap)
# link glibc statically where its static library is installed (Debian: libc6-dev). Such a
# process starts without the dynamic loader: ~0.3-0.5 ms less per run, a third of what
# `n3x-netplan render` takes (docs/render.md). `cargo rustc` passes the flag to the tool's
# own final crate only, so every dependency is built once for all tools. The SSH tools stay
# dynamic: static glibc loads the NSS modules of its own version at run time.
STATIC_TOOLS := n3x-disko n3x-netplan n3x-kube-bootstrap
LIBC_A := $(firstword $(wildcard /usr/lib/*/libc.a /usr/lib64/libc.a /usr/lib/libc.a))

build:
ifneq ($(LIBC_A),)
	$(CARGO) build --release --workspace --bins $(STATIC_TOOLS:%=--exclude %)
	for tool in $(STATIC_TOOLS); do \
	  $(CARGO) rustc --release -p $$tool --bin $$tool -- -C target-feature=+crt-static || exit 1; \
	done
else
	$(CARGO) build --release --workspace --bins
endif

## demo: run the pipeline on examples/edge-lab (needs only the Rust toolchain)
demo: build
	BIN=$(BIN) OUT=$(OUT) REPO=$(CURDIR) EXAMPLE=$(EXAMPLE) bash scripts/demo

## render: the whole cluster repository for INVENTORY into OUT (scripts/render; usable from CI)
render: build
	@test -n "$(INVENTORY)" || { echo "usage: make render INVENTORY=inventory.yaml OUT=DIR" >&2; exit 2; }
	BIN=$(BIN) bash scripts/render $(INVENTORY) $(OUT)

install-test-tools:
	bash scripts/install-test-tools

## test: everything the tests need, then every test of the workspace. A missing tool
## fails its tests; N3X_ALLOW_SKIP=1 turns that into a skip, and the skipped tests are
## listed at the end of the run.
SKIP_LOG := $(abspath $(or $(CARGO_TARGET_DIR),target))/n3x-skipped.txt
test: install-test-tools
	@rm -f $(SKIP_LOG)
	N3X_SKIP_LOG=$(SKIP_LOG) $(CARGO) test --workspace --all-targets
	@if [ -s $(SKIP_LOG) ]; then \
	  echo "== SKIPPED because N3X_ALLOW_SKIP=1 ($$(sort -u $(SKIP_LOG) | wc -l) tests):"; sort -u $(SKIP_LOG); \
	else echo "== no test skipped"; fi

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

lint-scripts:
	shellcheck scripts/install-test-tools scripts/demo scripts/render scripts/bench-render $(wildcard scripts/demo.d/*.sh) .ci/run

## nix-parse: every hand-written .nix file in the repository parses
nix-parse:
	@files=$$(git ls-files '*.nix'); \
	if [ -n "$$files" ]; then nix-instantiate --parse $$files >/dev/null; fi

## check: the one gate, identical locally and in CI (.ci/run runs exactly this, from a
## fresh clone with nothing beside it)
check: fmt clippy test lint-scripts nix-parse demo
	git diff --exit-code
	@test -z "$$(git status --porcelain)" || \
	  { git status --short; echo "check: the run left untracked files (add them to .gitignore or stop creating them)"; exit 1; }

## golden-update: regenerate golden files and the committed JSON Schema (review the diff!)
golden-update:
	N3X_UPDATE_GOLDEN=1 $(CARGO) test --workspace --all-targets
	git status --short

bench:
	$(CARGO) bench --workspace

## bench-render: fleet render vs cp -r, tools vs spawn floor, netplan generator, sops (release binaries)
bench-render: build
	BIN=$(BIN) bash scripts/bench-render

clean:
	rm -rf $(OUT)
