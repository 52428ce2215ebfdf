#!/usr/bin/env bash
# Signed-write throughput benchmark (bench/RESULTS.md): plain INSERT vs mycelium.put() vs signed
# INSERT, one row per transaction and 500 rows per statement, against the verify rate of one core.
#
# The extension must already be installed into the PostgreSQL found by pg_config:
#   make install && bench/signed-writes.sh
#
# Environment: DURATION   seconds per phase (default 10; 8 phases, plus setup and signing)
#              BUILD_DIR  CMake build tree for the driver (default build/)
#              FSYNC      on (default) or off
# The cluster is a throwaway one from pg_virtualenv, dropped afterwards. -t keeps it in a
# temporary directory, so it does not collide with the fixed "regress" cluster that
# pg_virtualenv uses for root otherwise (make test). pg_virtualenv turns fsync off; without
# fsync=on, synchronous_commit=on would not wait for a disk flush.
# The Markdown table for bench/RESULTS.md goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
export DURATION=${DURATION:-10}
FSYNC=${FSYNC:-on}

if [ ! -f "$(pg_config --sharedir)/extension/mycelium.control" ]; then
  echo "signed-writes: the mycelium extension is not installed; run 'make install' first" >&2
  exit 1
fi

# Build the driver if needed (incremental; configures the build tree the first time).
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target mycelium-bench-signed-writes mycelium >/dev/null
DRIVER="$(cd "$BUILD_DIR" && pwd)/bench/mycelium-bench-signed-writes"
export DRIVER

# The node signs each audit entry's link with its node key (mycelium.node_key_file).
KEYDIR=$(mktemp -d /tmp/mycelium-bench-key.XXXXXX)
trap 'rm -rf "$KEYDIR"' EXIT
"$BUILD_DIR/cli/mycelium" keygen --out "$KEYDIR/node.key" >/dev/null
chown -R postgres: "$KEYDIR"

# shellcheck disable=SC2016 # $DRIVER expands inside the cluster's shell
pg_virtualenv -t -o shared_buffers=256MB -o synchronous_commit=on -o fsync="$FSYNC" \
  -o "mycelium.node_key_file=$KEYDIR/node.key" bash -c '"$DRIVER"'
