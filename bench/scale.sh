#!/usr/bin/env bash
# Scale benchmark (bench/RESULTS.md): signed writes with one shard in the database against the
# same writes with SHARDS shards (into one of them, and spread over all of them); then the
# initial copy of a shard of COPY_ROWS entries to a new replica (mycelium.add_replica): its time
# and rate, the progress mycelium.replica_copy_progress reports while it runs, the peak memory of
# the primary's and the replica's backends doing it, again with COPY_ROWS/10 entries (memory must
# not grow with the entries), and native logical replication's initial table sync of the same
# rows as the baseline.
#
# The extension must already be installed into the PostgreSQL found by pg_config:
#   make install && bench/scale.sh
#
# Environment: SHARDS         shards in the database for the many-shard write phases
#                             (default 1000)
#              COPY_ROWS      entries of the large initial copy (default 1000000; the small
#                             copy has a tenth of them)
#              WRITE_SECONDS  seconds per write phase (default 10)
#              FSYNC          on (default) or off
#              BUILD_DIR      CMake build tree for the driver (default build/)
# With the defaults it takes about 15 minutes on 2 cores; SHARDS=50 COPY_ROWS=20000
# WRITE_SECONDS=3 is a quick look.
# Two throwaway clusters, removed on exit whatever happens (bench/two-clusters.sh, as for
# replication.sh): the primary and the replica, both with shared_preload_libraries=mycelium,
# mycelium.database=mycelium and wal_level=logical, the push worker paused. Each holds database
# mycelium (the extension) and one database of the logical-replication baseline (logical_pub on
# the primary, logical_sub on the replica).
# The Markdown section for bench/RESULTS.md goes to stdout, progress to stderr.
# Run as root (the servers run as postgres) or as postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh # mn_free_port

BUILD_DIR=${BUILD_DIR:-build}
SHARDS=${SHARDS:-1000}
COPY_ROWS=${COPY_ROWS:-1000000}
WRITE_SECONDS=${WRITE_SECONDS:-10}
FSYNC=${FSYNC:-on}
BENCH_NAME=scale
BENCH_TARGET=mycelium-bench-scale
# shellcheck source=bench/two-clusters.sh
. bench/two-clusters.sh

"$DRIVER" --primary-port "${PORT[primary]}" --replica-port "${PORT[replica]}" --shards "$SHARDS" \
  --copy-rows "$COPY_ROWS" --write-seconds "$WRITE_SECONDS"
