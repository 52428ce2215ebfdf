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
PG_BINDIR=/usr/lib/postgresql/15/bin

die() {
  echo "replication: $*" >&2
  exit 1
}

[ -x "$PG_BINDIR/initdb" ] || die "PostgreSQL 15 server not found in $PG_BINDIR"
[ -f "$(pg_config --sharedir)/extension/mycelium.control" ] ||
  die "the mycelium extension is not installed; run 'make install' first"
case $FSYNC in on | off) ;; *) die "FSYNC must be on or off, not '$FSYNC'" ;; esac

# Build the driver if needed (incremental; configures the build tree the first time).
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target mycelium-bench-replication mycelium >/dev/null
DRIVER="$(cd "$BUILD_DIR" && pwd)/bench/mycelium-bench-replication"

DIR=$(mktemp -d /tmp/mycelium-bench-repl.XXXXXX)
NODES=(primary replica)

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$DIR" && runuser -u postgres -- "$@")
  elif [ "$(id -un)" = postgres ]; then
    (cd "$DIR" && "$@")
  else
    die "run as root or as postgres"
  fi
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? node
  trap - EXIT
  trap '' INT TERM # a second Ctrl-C must not leave the clusters running
  for node in "${NODES[@]}"; do
    if [ -f "$DIR/$node/postmaster.pid" ]; then
      as_postgres "$PG_BINDIR/pg_ctl" -D "$DIR/$node" -s -w -t 60 -m immediate stop \
        >/dev/null 2>&1 || echo "replication: could not stop the $node" >&2
    fi
    if [ "$rc" -ne 0 ] && [ -s "$DIR/$node.log" ]; then
      echo "--- tail of the $node's server log ---" >&2
      tail -n 20 "$DIR/$node.log" >&2
    fi
  done
  rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chown postgres: "$DIR" 2>/dev/null || [ "$(id -un)" = postgres ] ||
  die "cannot give $DIR to postgres"
as_postgres mkdir "$DIR/sock"

echo "clusters: initdb in $DIR" >&2
pids=()
for node in "${NODES[@]}"; do
  as_postgres "$PG_BINDIR/initdb" -D "$DIR/$node" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/$node.initdb.log" 2>&1 &
  pids+=($!)
done
for i in "${!NODES[@]}"; do
  wait "${pids[i]}" || {
    cat "$DIR/${NODES[i]}.initdb.log" >&2
    die "initdb of the ${NODES[i]} failed"
  }
done

# Settings of both clusters. The push worker starts paused (a round an hour; it runs one round
# when it starts and one on each reload): the driver pushes with push_now until the lag phase.
# The databases are made in single-user mode, before the servers start, so that the worker finds
# mycelium.database at once (it exits and is restarted 5 s later when it does not).
for node in "${NODES[@]}"; do
  cat >>"$DIR/$node/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/sock'
shared_preload_libraries = 'mycelium'
mycelium.database = 'mycelium'
mycelium.push_interval = '1h'
max_worker_processes = 16
wal_level = logical
shared_buffers = 256MB
synchronous_commit = on
fsync = $FSYNC
EOF
done
# The primary signs its chain links with its node key; the driver registers it with the same key.
"$BUILD_DIR/cli/mycelium" keygen --out "$DIR/primary.key" >/dev/null
install -o postgres -g postgres -m 600 "$DIR/primary.key" "$DIR/primary/mycelium_node.key"
echo "mycelium.node_key_file = 'mycelium_node.key'" >>"$DIR/primary/postgresql.conf"
export MYCELIUM_PRIMARY_KEY_FILE="$DIR/primary.key"
declare -A BASELINE_DB=([primary]=logical_pub [replica]=logical_sub)
for node in "${NODES[@]}"; do
  printf 'CREATE DATABASE mycelium\nCREATE DATABASE %s\n' "${BASELINE_DB[$node]}" |
    as_postgres "$PG_BINDIR/postgres" --single -D "$DIR/$node" postgres >"$DIR/$node.single.log" 2>&1 || {
    cat "$DIR/$node.single.log" >&2
    die "creating the databases of the $node failed"
  }
done


declare -A PORT
port=${BENCH_BASE_PORT:-27000}
for node in "${NODES[@]}"; do
  started=
  for _ in 1 2 3 4 5; do
    port=$(mn_free_port "$port") || die "no free port"
    if as_postgres "$PG_BINDIR/pg_ctl" -D "$DIR/$node" -l "$DIR/$node.log" -s -w -t 30 \
      -o "-p $port" \
      start >/dev/null; then
      started=yes
      break
    fi
    grep -Eq 'could not bind|could not create any TCP/IP sockets|Address already in use' \
      "$DIR/$node.log" 2>/dev/null || die "the $node did not start"
    port=$((port + 1))
  done
  [ -n "$started" ] || die "the $node did not start: no usable port"
  PORT[$node]=$port
  port=$((port + 1))
done

echo "clusters: primary on port ${PORT[primary]}, replica on port ${PORT[replica]} (fsync=$FSYNC)" >&2

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
