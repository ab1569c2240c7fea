# corpusflow: everything the project needs is installed by these targets, from package
# registries only (npm, PyPI, the Go module proxy). Each install step is skipped when done.

TEMPORAL_CLI_VERSION := v1.5.1
VERSITYGW_VERSION    := v1.8.0
TOOLS  := $(CURDIR)/.tools/bin
PYTHON ?= python3

# What tests, the demo and benches are told about the tools above.
RUN_ENV := CORPUSFLOW_TEMPORAL_BIN=$(TOOLS)/temporal \
           CORPUSFLOW_S3_SERVER_BIN=$(TOOLS)/versitygw \
           CORPUSFLOW_PYTHON=$(CURDIR)/.venv/bin/python \
           CORPUSFLOW_WIDS_PYTHON=$(CURDIR)/.venv-wids/bin/python

.PHONY: all deps tools venv venv-wids venv-bench s3-server chromium build test demo bench bench-name clean
all: build

# Node packages exactly as locked; redone only when package-lock.json changes. Registries
# that lack other platforms' optional binaries make `npm ci` reject the lock (npm/cli#9846);
# then install from the same lock with `npm install --no-save`, which never rewrites it.
deps node_modules: node_modules/.stamp
node_modules/.stamp: package.json package-lock.json
	npm ci || { echo '>> npm ci refused the lock file; installing from it with npm install --no-save'; \
	            npm install --no-save; }
	touch $@

# Temporal CLI for the dev server the tests and the temporal executor talk to. Built from
# source because the SDK's own server download needs the internet; later tags carry a
# `replace` directive that `go install` refuses.
$(TOOLS)/temporal .tools/bin/temporal:
	GOBIN=$(TOOLS) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

# S3-compatible server (versitygw, POSIX backend) so storage tests hit a real S3 API on loopback.
s3-server: $(TOOLS)/versitygw
$(TOOLS)/versitygw .tools/bin/versitygw:
	GOBIN=$(TOOLS) go install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

tools: $(TOOLS)/temporal $(TOOLS)/versitygw

# Python for tests that read our shards with the reference webdataset/wids readers.
venv .venv: .venv/.stamp
.venv/.stamp: requirements-test.txt
	$(PYTHON) -m venv .venv
	.venv/bin/pip install -r requirements-test.txt
	touch $@

# Python with torch for the wids reader test only (why in requirements-wids.txt).
venv-wids .venv-wids: .venv-wids/.stamp
.venv-wids/.stamp: requirements-wids.txt
	$(PYTHON) -m venv .venv-wids
	.venv-wids/bin/pip install -r requirements-wids.txt
	touch $@

# Python for benches only (datatrove, HF tokenizers): heavy, so kept out of the test venv.
venv-bench .venv-bench: .venv-bench/.stamp
.venv-bench/.stamp: requirements-bench.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install -r requirements-bench.txt
	touch $@

# Headless Chromium for the data card screenshot test (Debian's package).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@command -v $${CORPUSFLOW_CHROMIUM:-chromium} >/dev/null 2>&1 || { $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation; }

# Compile everything to dist/ (same tree as the sources); a fresh dist/ so deleted or
# renamed tests never run from stale output.
build: deps
	rm -rf dist
	npx tsc -p .

# All tests, one file at a time (they start servers). Node 20 does not expand globs itself,
# so the files are listed here (after build, since `=` expands late); none found is an error.
TEST_FILES = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)
test: deps tools s3-server venv venv-wids chromium build
	@test -n "$(TEST_FILES)" || { echo 'no compiled tests under dist/test'; exit 1; }
	$(RUN_ENV) node --test --test-concurrency=1 $(TEST_FILES)

# End-to-end demo on the fixtures (scripts/demo.ts).
demo: deps tools venv build
	$(RUN_ENV) node dist/scripts/demo.js

# One benchmark: make bench B=<name> runs bench/<name>.ts.
bench: bench-name deps tools venv venv-bench build
	$(RUN_ENV) CORPUSFLOW_BENCH_PYTHON=$(CURDIR)/.venv-bench/bin/python node dist/bench/$(B).js

bench-name:
	@test -n "$(B)" || { echo 'usage: make bench B=<name>  (runs dist/bench/<name>.js)'; exit 2; }

# Build and run outputs only; installed tools and venvs stay.
clean:
	rm -rf dist out

# Fuzz one parser for SECONDS (fuzz/engine.ts, coverage-guided on V8 block coverage); corpus,
# findings and report.json land in out/fuzz/<T>/. Targets: warc compressed html jsonl parquet tar.
.PHONY: fuzz
SECONDS ?= 600
fuzz: build
	@test -n "$(T)" || { echo 'usage: make fuzz T=<warc|compressed|html|jsonl|parquet|tar> SECONDS=600'; exit 2; }
	node dist/fuzz/run.js $(T) $(SECONDS)
