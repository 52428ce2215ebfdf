MAKEFLAGS += --no-print-directory
# Mycelium: top-level driver. `make demo` and `make test` do all set-up on a fresh Debian
# machine as root (packages included). The extension itself is built by extension/Makefile
# (PGXS); the core library, the agent, the CLI and the tests by CMake in $(BUILD_DIR).
#   make demo     builds only what the demo runs (the CLI, the agent, the extension), installs
#                 the extension, runs scripts/demo.sh
#   make test     builds everything, installs the extension, runs every suite (scripts/test.sh)
#   make build    builds everything; `make install` builds the programs and the extension and
#                 installs the extension

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CORE_LIB = $(abspath $(BUILD_DIR))/core/libmycelium_core.a
CHAIN_LIB = $(abspath $(BUILD_DIR))/core/libmycelium_chain.a

# Recipes pipe the builds through a filter: the pipe must not hide a failed build.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# The steps share one build tree; the parallelism is inside them (cmake -j, make -C extension -j).
.NOTPARALLEL:
# When this make started, for the "ready after N s" line.
STARTED := $(shell date +%s)

# The builds' output condensed to a line per tenth of the work (scripts/build-progress.awk);
# nothing when everything is up to date. Compiler messages and errors pass through unchanged.
EXTENSION_SOURCES := $(words $(wildcard extension/src/*.cpp extension/src/*/*.cpp))
CMAKE_PROGRESS = awk -v label=build -f scripts/build-progress.awk
EXTENSION_PROGRESS = awk -v label=extension -v total=$(EXTENSION_SOURCES) -f scripts/build-progress.awk

.PHONY: all deps configure cmake core programs build extension install test unit regress demo \
  format clean

all: build

# make demo and make install need no Node.js: only the chain tests run polkadot-js. (A
# target-specific variable reaches the prerequisites make builds for that target; under make
# test, deps is built for build first, without it.)
DEPS_FLAGS =
demo install: DEPS_FLAGS = --programs-only
deps:
	@./scripts/install-deps.sh $(DEPS_FLAGS)

# Configures the build tree every time (a second when nothing changed): the builds reconfigure by
# themselves after a CMakeLists.txt changed, but only once make knows the target asked for, so a
# target added there (programs, say) would be unknown to an older tree. Says so when it
# configures a new tree (several seconds) or another BUILD_TYPE.
configure: deps
	@grep -qxF 'CMAKE_BUILD_TYPE:STRING=$(BUILD_TYPE)' $(BUILD_DIR)/CMakeCache.txt 2>/dev/null || \
	  echo "configure: cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)"
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

# Everything CMake builds: the core library, the agent, the CLI and the tests (not the benchmark
# drivers, which bench/*.sh build).
cmake: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) 2>&1 | $(CMAKE_PROGRESS)

core: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target mycelium_core mycelium_chain 2>&1 | $(CMAKE_PROGRESS)

# The programs scripts/demo.sh runs besides the installed extension: the CLI and the agent
# (CMake target programs).
programs: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target programs 2>&1 | $(CMAKE_PROGRESS)

extension: core
	@$(MAKE) -C extension -j$(JOBS) CORE_LIB=$(CORE_LIB) CHAIN_LIB=$(CHAIN_LIB) 2>&1 | $(EXTENSION_PROGRESS)

build: cmake extension

# Installs the extension into the PostgreSQL installation found by pg_config, after building it
# and the programs (README: `make install`, then `cmake --install build` copies the programs).
install: programs extension
	@$(MAKE) -C extension -s CORE_LIB=$(CORE_LIB) CHAIN_LIB=$(CHAIN_LIB) install
	@echo "install: extension mycelium into $$(pg_config --pkglibdir) and $$(pg_config --sharedir)/extension"

test: build install
	@echo "ready after $$(($$(date +%s) - $(STARTED))) s (packages, build, install)"
	@./scripts/test.sh

# One suite alone: `make unit`, `make regress`, or `make regress TESTS=boundary`; any suites:
# scripts/test.sh unit agents (its keys are listed there).
unit: cmake
	@./scripts/test.sh unit

regress: install
	@./scripts/run-regress.sh $(TESTS)

demo: install
	@echo "ready after $$(($$(date +%s) - $(STARTED))) s (packages, build, install)"
	@./scripts/demo.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.hpp.in' | grep -v '\.in$$')

clean:
	@rm -rf $(BUILD_DIR)
	@$(MAKE) -C extension -s clean CORE_LIB=$(CORE_LIB) CHAIN_LIB=$(CHAIN_LIB) 2>/dev/null || true
