MAKEFLAGS += --no-print-directory
# Mycelium: top-level driver. `make demo` and `make test` do all set-up on a fresh Debian
# machine as root (packages included). The extension itself is built by extension/Makefile
# (PGXS); the core library, the agent, the CLI and the unit tests by CMake in $(BUILD_DIR).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CORE_LIB = $(abspath $(BUILD_DIR))/core/libmycelium_core.a

.PHONY: all deps build cmake extension install test unit regress demo format clean

all: build

deps:
	@./scripts/install-deps.sh

cmake: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

extension: cmake
	@$(MAKE) -C extension -s CORE_LIB=$(CORE_LIB)

build: cmake extension

# Installs the extension into the PostgreSQL installation found by pg_config.
install: build
	@$(MAKE) -C extension -s CORE_LIB=$(CORE_LIB) install

test: install
	@./scripts/test.sh

# One suite alone: `make unit`, `make regress`, or `make regress TESTS=boundary`.
unit: cmake
	@ctest --test-dir $(BUILD_DIR) --output-on-failure

regress: install
	@./scripts/run-regress.sh $(TESTS)

demo: install
	@./scripts/demo.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.hpp.in' | grep -v '\.in$$')

clean:
	@rm -rf $(BUILD_DIR)
	@$(MAKE) -C extension -s clean CORE_LIB=$(CORE_LIB) 2>/dev/null || true
