# shellcheck shell=bash
# Sourced by the two-node benchmarks (replication.sh, scale.sh): starts two throwaway clusters,
# the primary and the replica, as the postgres user (initdb in a temporary directory, free
# loopback ports from 27000 on, or BENCH_BASE_PORT), both with shared_preload_libraries=mycelium,
# mycelium.database=mycelium, wal_level=logical, shared_buffers=256MB, synchronous_commit=on and
# fsync=$FSYNC, and the push worker paused (mycelium.push_interval=1h). Each holds database
# mycelium and one database of the logical-replication baseline (logical_pub on the primary,
# logical_sub on the replica). The primary signs its chain links with a node key made by
# "$BUILD_DIR/cli/mycelium keygen", whose file is exported as MYCELIUM_PRIMARY_KEY_FILE.
# Everything is removed on exit whatever happens (an EXIT trap).
#
# Before that it checks the installation and FSYNC and builds the driver, CMake target
# BENCH_TARGET (incremental; configures the build tree the first time).
#
# Needs from the caller: BENCH_NAME (for messages and the directory's name), BENCH_TARGET,
# BUILD_DIR, FSYNC, and mn_free_port (regress/multinode/lib.sh).
# Sets: PG_BINDIR, DRIVER, DIR, NODES, PORT[primary], PORT[replica]; defines die, as_postgres.
PG_BINDIR=/usr/lib/postgresql/15/bin

die() {
  echo "$BENCH_NAME: $*" >&2
  exit 1
}

[ -x "$PG_BINDIR/initdb" ] || die "PostgreSQL 15 server not found in $PG_BINDIR"
[ -f "$(pg_config --sharedir)/extension/mycelium.control" ] ||
  die "the mycelium extension is not installed; run 'make install' first"
case $FSYNC in on | off) ;; *) die "FSYNC must be on or off, not '$FSYNC'" ;; esac

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "$BENCH_TARGET" mycelium >/dev/null
DRIVER="$(cd "$BUILD_DIR" && pwd)/bench/$BENCH_TARGET"

DIR=$(mktemp -d "/tmp/mycelium-bench-$BENCH_NAME.XXXXXX")
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
        >/dev/null 2>&1 || echo "$BENCH_NAME: could not stop the $node" >&2
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
