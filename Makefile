# interop-bench: the front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
BUILD_DIR := build/native
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Passed through to `interop-bench run` by `make bench`.
PROFILE ?= default
STRATEGIES ?=
OPS ?=
SIZES ?=
DTYPES ?=
PLACEMENT ?=
FOLLOW ?=
RUN_ARGS := --profile $(PROFILE) $(if $(STRATEGIES),--strategies $(STRATEGIES)) \
            $(if $(OPS),--ops $(OPS)) $(if $(SIZES),--sizes $(SIZES)) \
            $(if $(DTYPES),--dtypes $(DTYPES)) $(if $(PLACEMENT),--placement $(PLACEMENT))

# Everything whose change needs the package rebuilt.
SOURCES := $(shell find kernels harness strategies python/interop_bench cmake \
             -type f -not -path '*/__pycache__/*' -not -path '*/fuzz/corpus/*' 2>/dev/null) \
           CMakeLists.txt pyproject.toml

.PHONY: help deps venv build native test lint ctest pytest bench clean report summary json-decode-bench \
        compare-reference pytest-bench aa ab-gate gate-power netns-bench stream native-build

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=quick|default|full STRATEGIES=a,b OPS=sum,scale SIZES=1,1e3,1e6 PYTHON=python3"
	@echo "             DTYPES=float64,uint8 (SIZES also takes frame resolutions: vga,720p,1080p,4k,8k)"
	@echo "             PLACEMENT=os|same-core|other-core (where the caller and its workers run)"
	@echo "             FOLLOW=results/FILE.json (make bench: measure and skip the cells FILE did)"

deps: $(STAMPS)/deps ## install the missing Debian packages (scripts/debian-packages.txt)
$(STAMPS)/deps: scripts/debian-packages.txt scripts/install-deps.sh
	@bash scripts/install-deps.sh
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv ## create .venv from $(PYTHON) with the build tools
$(STAMPS)/venv: pyproject.toml scripts/build_requires.py | $(STAMPS)/deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q $$($(PY) scripts/build_requires.py) ninja
	@mkdir -p $(STAMPS) && touch $@

build: $(STAMPS)/build ## build every native part and the C++ tests, and install the package into .venv
# One CMake build in build/native serves pip (the package) and CTest (the tests,
# the native floors), so a fresh `make test` compiles the kernels, the workers
# and the peers once, not twice.
$(STAMPS)/build: $(STAMPS)/venv $(SOURCES)
	@mkdir -p $(STAMPS)
	flock $(STAMPS)/build.lock $(PY) -m pip install -q --no-build-isolation \
	  -C build-dir=$(BUILD_DIR) -C cmake.define.IB_BUILD_TESTS=ON \
	  -C cmake.define.IB_WERROR=ON ".[test]"
	@mkdir -p $(STAMPS) && touch $@

native-build: $(STAMPS)/build

native: native-build ## measure the native floors (kernels alone, bandwidth) into results/
	@mkdir -p results
	@out=results/native-$$(date -u +%Y%m%dT%H%M%SZ).json; \
	  $(BUILD_DIR)/harness/ib_native_floors --benchmark_out=$$out --benchmark_out_format=json && \
	  echo "native floors written to $$out"

json-decode-bench: native-build ## build harness/json_decode_bench.cpp (why strategies/json decodes with SAX)
	cmake --build $(BUILD_DIR) --target ib_json_decode_bench

ctest: native-build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

lint: $(STAMPS)/build ## ruff and mypy over the Python package and tests
	$(VENV)/bin/ruff check python scripts
	$(VENV)/bin/ruff format --check python scripts
	$(VENV)/bin/mypy

# The suite spread over the cores by pytest-xdist (at most 4 workers: each one
# measures the session fixtures' real runs itself).
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
pytest: $(STAMPS)/build
	$(PY) -m pytest -q -n $(PYTEST_WORKERS)

test: ctest lint pytest ## install what is missing, build, run CTest, lint and pytest

# The stream section of `make bench`: ctypes and the best strategy of each family
# for frames in the run just made, at 60 fps, depth 1 and 2: at 1080p in two
# processes of 2 s (quick: at vga, the quick profile's frames, in one process of
# 1.7 s; full: 1080p and 4k, 30 and 60 fps, three processes of 20 s). A run
# without frames streams nothing.
BENCH_STREAM_default := --resolutions 1080p --fps 60 --depth 1,2 --duration 2 --processes 2
BENCH_STREAM_quick := --resolutions vga --fps 60 --depth 1,2 --duration 1.7 --processes 1
BENCH_STREAM_full := --resolutions 1080p,4k --fps 30,60 --depth 1,2 --duration 20 --processes 3
BENCH_STREAM_ARGS ?= $(or $(BENCH_STREAM_$(PROFILE)),$(BENCH_STREAM_default))
bench: $(STAMPS)/build ## measure every strategy (PROFILE=quick|default|full), stream the best, write the report
	$(PY) -m interop_bench run $(RUN_ARGS) $(if $(FOLLOW),--follow $(FOLLOW))
	@$(newest_results); \
	  $(PY) -m interop_bench stream --best-of "$$results" $(BENCH_STREAM_ARGS) --quiet \
	    $(if $(PLACEMENT),--placement $(PLACEMENT)) \
	    --out "$$(dirname "$$results")/stream-$$(basename "$$results")"
	@$(MAKE) --no-print-directory report

# The newest results file of `interop-bench run` (not native floors, not pytest-benchmark's).
NEWEST_RESULTS := ls -t results/*.json 2>/dev/null | grep -Ev '/(native|pytest-bench|stream)-' | head -n 1
define newest_results
results=$$($(NEWEST_RESULTS)); \
  test -n "$$results" || { echo "no results/*.json yet: run make bench first" >&2; exit 1; }
endef

# A run's stream section is results/stream-<the run's file name>.
report: $(STAMPS)/build ## HTML report of the newest results file (and its stream section): reports/index.html
	@$(newest_results); \
	  stream="$$(dirname "$$results")/stream-$$(basename "$$results")"; \
	  $(PY) -m interop_bench report "$$results" $$(test -e "$$stream" && echo "$$stream") \
	    -o reports/index.html >/dev/null && \
	  cp reports/index.html "$${results%.json}.html" && \
	  echo "report: $(CURDIR)/reports/index.html (copy: $${results%.json}.html)"

summary: $(STAMPS)/build ## Markdown ranking of the strategies of the newest results file (and its streams)
	@$(newest_results); $(PY) -m interop_bench summary "$$results" --format markdown; \
	  stream="$$(dirname "$$results")/stream-$$(basename "$$results")"; \
	  if test -e "$$stream"; then $(PY) -m interop_bench summary "$$stream" --format markdown; fi

compare-reference: $(STAMPS)/build ## compare the newest results with results/reference/*.json (report only)
	@$(newest_results); \
	  for reference in results/reference/*.json; do \
	    [[ -e "$$reference" ]] || { echo "no results/reference/*.json: nothing to compare"; break; }; \
	    $(PY) -m interop_bench compare "$$reference" "$$results" --report-only --format markdown \
	      || exit $$?; \
	  done

AA_ARGS ?=
aa: $(STAMPS)/build ## A/A check: two quick runs of this commit, calibration figure and compare's verdict
	$(PY) -m interop_bench aa --profile quick $(AA_ARGS)

# The CI gate: this checkout against AB_BASELINE in alternating processes, on a
# small matrix (the baseline is built once into build/ab/<commit>/).
AB_BASELINE ?= HEAD~1
AB_ARGS ?= --strategies capi,pybind11,nanobind,ctypes,cython,numpy,json-fast,shm \
           --ops sum,scale --sizes 1,1000,1e6 --processes 6 --placement-rows none
ab-gate: $(STAMPS)/build ## gate on a regression against AB_BASELINE (default HEAD~1)
	$(PY) -m interop_bench ab --baseline $(AB_BASELINE) $(AB_ARGS) --format markdown

# The stream gate: the same, for real-time tails (interop-bench ab-stream), on a few
# strategies at 1080p/60 fps; 5 s a cell is 300 frames a process, too few for p99's
# interval, so it gates the missed share (about 2 min with the baseline built).
AB_STREAM_ARGS ?= --strategies shm,pybind11 --resolutions 1080p --fps 60 --depth 1 \
                  --duration 5 --processes 3
ab-stream-gate: $(STAMPS)/build ## gate the stream tails on a regression against AB_BASELINE
	$(PY) -m interop_bench ab-stream --baseline $(AB_BASELINE) $(AB_STREAM_ARGS) --format markdown

# The gate's power: ab against a baseline of the same code (HEAD), REPEATS times with
# nothing injected and with 5%, 10% and 25% slowdowns (scripts/gate_power.py, whose
# flags GATE_POWER_ARGS passes: --strategies, --sizes, --out ...).
REPEATS ?= 10
GATE_POWER_ARGS ?=
gate-power: $(STAMPS)/build ## how often ab finds 5/10/25% slowdowns, and false alarms (REPEATS=10)
	$(PY) scripts/gate_power.py --baseline HEAD --repeats $(REPEATS) $(GATE_POWER_ARGS)

# The network strategies over an emulated link (root: two network namespaces, a
# veth pair shaped by tc; scripts/netns_link.py), next to local IPC strategies.
LINK ?= 1gbit
DELAY ?= 0.1ms
NET_STRATEGIES ?= tcp,zmq-tcp,grpc,grpc-stream,arrow-flight,uds,shm
netns-bench: $(STAMPS)/build ## measure the network strategies over an emulated link (root): LINK=10gbit|1gbit DELAY=0.1ms
	$(PY) scripts/netns_link.py --rate $(LINK) $(if $(DELAY),--delay $(DELAY)) -- \
	  $(PY) -m interop_bench run --profile $(PROFILE) --strategies $(or $(STRATEGIES),$(NET_STRATEGIES)) \
	  $(if $(OPS),--ops $(OPS)) $(if $(SIZES),--sizes $(SIZES)) \
	  --peer {peers} --peer-secret-file {secret}

# Frames at a fixed rate (interop-bench stream): tails, missed deadlines, depth 1 and 2.
# One situation, yours: `make stream RESOLUTIONS=4k FPS=30`. Without DURATION a cell
# streams the 1,000 frames a process needs to resolve its p99; 3 processes give intervals;
# depth 2 runs where depth 1 does not carry the load (DEPTH=2 alone: every strategy's).
RESOLUTIONS ?= 1080p
FPS ?= 60
DEPTH ?= 1,2
PROCESSES ?= 3
STREAM_ARGS ?= --resolutions $(RESOLUTIONS) --fps $(FPS) --depth $(DEPTH) --deeper-if-needed \
  --processes $(PROCESSES) $(if $(DURATION),--duration $(DURATION)) \
  $(if $(PLACEMENT),--placement $(PLACEMENT))
stream: $(STAMPS)/build ## stream frames at one rate (RESOLUTIONS=1080p FPS=60 DEPTH=1,2 PROCESSES=3 [DURATION]) through every strategy
	$(PY) -m interop_bench stream $(if $(STRATEGIES),--strategies $(STRATEGIES)) $(STREAM_ARGS)

PYTEST_BENCH_ARGS ?=
pytest-bench: $(STAMPS)/build ## every strategy under pytest-benchmark: results/pytest-bench-<stamp>.json
	@mkdir -p results
	$(PY) -m pytest python/benchmarks -q \
	  --benchmark-json=results/pytest-bench-$$(date -u +%Y%m%dT%H%M%SZ).json $(PYTEST_BENCH_ARGS)

clean: ## remove build outputs and stamps (keeps .venv and results/)
	rm -rf build $(STAMPS)/build reports

# -- fuzzing and sanitizers ---------------------------------------------------
# libFuzzer targets of the decoders (cmake/Fuzz.cmake), built with clang in
# their own build dir; FUZZ_TARGETS names their folders under strategies/, and
# the target of folder <name> is ib_fuzz_<name> without a leading "_". Each runs
# FUZZ_SECONDS from its seed corpus strategies/<name>/fuzz/corpus (new inputs
# go to build/fuzz/corpus/<name>).
.PHONY: fuzz fuzz-smoke fuzz-build test-sanitize
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_TARGETS := json json_fast flatbuffers msgpack file_mmap protobuf _ipc_worker capnp zmq grpc \
                arrow_flight
SANITIZE_DIR := build/sanitize

fuzz-build: $(STAMPS)/deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DIB_FUZZ=ON -DIB_BUILD_PYTHON=OFF -DIB_BUILD_TESTS=OFF \
	  -DIB_WERROR=ON -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(patsubst %,ib_fuzz_%,$(patsubst _%,%,$(FUZZ_TARGETS)))

fuzz: fuzz-build ## run each libFuzzer target FUZZ_SECONDS (default 60); fails on any crash
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  if $(FUZZ_DIR)/strategies/$$t/ib_fuzz_$${t#_} -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	       -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1 \
	       -artifact_prefix=$(FUZZ_DIR)/$$t- $(FUZZ_DIR)/corpus/$$t strategies/$$t/fuzz/corpus \
	       2>$(FUZZ_DIR)/$$t.log; then \
	    echo "ib_fuzz_$${t#_}: $$(awk '/number_of_executed_units/ {print $$2}' $(FUZZ_DIR)/$$t.log)" \
	         "executions in $(FUZZ_SECONDS) s, no crash"; \
	  else \
	    tail -40 $(FUZZ_DIR)/$$t.log; echo "ib_fuzz_$${t#_} failed: see $(FUZZ_DIR)/$$t.log"; exit 1; \
	  fi; \
	done

fuzz-smoke: ## `make fuzz` for 10 s per target (what CI affords)
	$(MAKE) fuzz FUZZ_SECONDS=10

# ASan + UBSan over the C++ tests, then the Python conformance and serialization
# tests against the sanitized extension modules (installed into a package copy
# in build/sanitize/site, ahead of .venv on PYTHONPATH). The interpreter is not
# instrumented: the ASan runtime is preloaded, with libstdc++ (else ASan cannot
# find the real __cxa_throw and aborts at the first C++ exception), and leak
# checking is off (the interpreter keeps its allocations at exit).
test-sanitize: $(STAMPS)/venv ## C++ tests + Python conformance suite under ASan/UBSan
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIB_SANITIZE=ON \
	  -DIB_WERROR=ON -DIB_BUILD_TESTS=ON -DIB_BUILD_PYTHON=ON -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	flock $(STAMPS)/sanitize.lock cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)
	rm -rf $(SANITIZE_DIR)/site && mkdir -p $(SANITIZE_DIR)/site
	cp -r python/interop_bench $(SANITIZE_DIR)/site/
	cmake --install $(SANITIZE_DIR) --prefix $(abspath $(SANITIZE_DIR)/site) >/dev/null
	PYTHONPATH=$(abspath $(SANITIZE_DIR)/site) \
	  LD_PRELOAD="$$(g++ -print-file-name=libasan.so) $$(g++ -print-file-name=libstdc++.so)" \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 IB_EXPECT_SANITIZED=1 \
	  $(PY) -m pytest -q -p no:cacheprovider \
	  python/tests/test_serialization.py python/tests/test_conformance.py
