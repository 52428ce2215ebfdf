#!/usr/bin/env bash
# Replication benchmark (bench/RESULTS.md): Mycelium's push of signed rows to a replica that
# verifies each of them, against PostgreSQL 15's native logical replication of the same rows and
# the verify rate of the machine's cores; then the replica's lag while the primary takes a steady
# stream of signed single-row writes.
#
# The extension must already be installed into the PostgreSQL found by pg_config:
#   make install && bench/replication.sh
#
# Environment: ROWS           rows per throughput run (default 30000; a push costs more per row
#                             the more rows it carries: 50000 take minutes)
#              BATCH_SIZES    mycelium.push_batch_size values for push_now (default 500,2000)
#              RATE           signed writes/s in the lag phase (default 2000)
#              DURATION       seconds of the lag phase (default 30)
#              CLIENTS        writer threads in the lag phase, one shard each (default 4)
#              SYNC_INTERVAL  mycelium.push_interval in ms during the lag phase (default 100)
#              FSYNC          on (default) or off
#              PERF           1: perf record -a -g during the first push_now (its timing is
#                             then not comparable); the recording is kept in
#                             $BUILD_DIR/bench/replication-perf.data, flat profiles of the
#                             pushing (primary) and applying (replica) backends go to
#                             $BUILD_DIR/bench/replication-perf-{primary,replica}.txt
#              BUILD_DIR      CMake build tree for the driver (default build/)
# Two throwaway clusters (initdb as postgres in a temporary directory, free loopback ports from
# 27000 on), removed on exit whatever happens: the primary and the replica, both with
# shared_preload_libraries=mycelium, mycelium.database=mycelium and wal_level=logical. Each holds
# database mycelium (the extension) and one database of the logical-replication baseline
# (logical_pub on the primary, logical_sub on the replica).
# The Markdown section for bench/RESULTS.md goes to stdout, progress to stderr.
# Run as root (the servers run as postgres) or as postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh # mn_free_port

BUILD_DIR=${BUILD_DIR:-build}
ROWS=${ROWS:-30000}
BATCH_SIZES=${BATCH_SIZES:-500,2000}
RATE=${RATE:-2000}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-4}
SYNC_INTERVAL=${SYNC_INTERVAL:-100}
FSYNC=${FSYNC:-on}
PERF=${PERF:-0}
BENCH_NAME=replication
BENCH_TARGET=mycelium-bench-replication
# shellcheck source=bench/two-clusters.sh
. bench/two-clusters.sh

perf_args=()
perf_data=
if [ "$PERF" = 1 ]; then
  mkdir -p "$BUILD_DIR/bench"
  perf_data="$BUILD_DIR/bench/replication-perf.data"
  perf_args=(--perf "$perf_data")
fi

"$DRIVER" --primary-port "${PORT[primary]}" --replica-port "${PORT[replica]}" --rows "$ROWS" \
  --batch-sizes "$BATCH_SIZES" --rate "$RATE" --duration "$DURATION" --clients "$CLIENTS" \
  --sync-interval "$SYNC_INTERVAL" "${perf_args[@]}"

if [ -n "$perf_data" ]; then
  out="$BUILD_DIR/bench"
  # shellcheck disable=SC1090  # primary=PID, replica=PID, written by the driver
  . "$perf_data.pids"
  # shellcheck disable=SC2154  # set by the file sourced above
  for side in primary:"$primary" replica:"$replica"; do
    perf report -i "$perf_data" --no-children --percentage relative --pid "${side#*:}" --sort dso,symbol \
      --stdio -g none --percent-limit 0.5 2>/dev/null >"$out/replication-perf-${side%%:*}.txt" || true
    echo "perf: ${side%%:*} backend (pid ${side#*:}): $out/replication-perf-${side%%:*}.txt" >&2
  done
  perf report -i "$perf_data" --no-children --sort comm,pid --stdio -g none \
    --percent-limit 1 2>/dev/null >"$out/replication-perf-processes.txt" || true
  echo "perf: by process: $out/replication-perf-processes.txt" >&2
fi
