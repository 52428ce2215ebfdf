#!/usr/bin/env bash
# Multi-node regression harness: starts MYCELIUM_NODES (default 3) throwaway PostgreSQL 15
# clusters on free loopback ports, each with database `mycelium` holding the extensions mycelium
# and postgres_fdw, and runs pg_regress scenarios (regress/multinode/sql/*.sql) against node 1.
#   regress/multinode/run.sh              every scenario in regress/multinode/schedule
#   regress/multinode/run.sh nodes_up     just sql/nodes_up.sql
# Scenarios find the nodes through MYCELIUM_NODES, MYCELIUM_NODE<i>_PORT and control them with
# "$MYCELIUM_HARNESS" (node.sh). The clusters and their temporary directory are removed on exit,
# whatever the outcome; on failure the tail of each server log is printed (whole logs are kept in
# build/multinode/node<i>.log, differences in build/multinode/regression.diffs).
# Run as root: the clusters run as postgres, pg_regress and psql as clients.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=regress/multinode
# shellcheck source=regress/multinode/lib.sh
. "$here/lib.sh"

started=$(date +%s%N)
nodes=${MYCELIUM_NODES:-3}
[[ $nodes =~ ^[1-9]$ ]] || mn_die "MYCELIUM_NODES must be a number from 1 to 9, not '$nodes'"
base_port=${MYCELIUM_MN_BASE_PORT:-26000}
outdir=${MULTINODE_OUTDIR:-build/multinode}
pg_bindir=$(pg_config --bindir)
pg_regress="$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress"
[ -x "$MN_PG_BINDIR/initdb" ] || mn_die "PostgreSQL 15 server not found in $MN_PG_BINDIR"
[ -x "$pg_regress" ] || mn_die "pg_regress not found at $pg_regress (postgresql-server-dev-15)"

# Which scenarios: the named ones, or the schedule (which must list every scenario).
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [ -f "$here/sql/$name.sql" ] || mn_die "no scenario $here/sql/$name.sql"
  done
  tests=("$@")
  count=$#
else
  for f in "$here"/sql/*.sql; do
    name=$(basename "$f" .sql)
    grep -Eq "^test:.*\b${name}\b" "$here/schedule" || {
      echo "multinode: $here/sql/$name.sql is not in $here/schedule" >&2
      exit 1
    }
  done
  tests=(--schedule="$here/schedule")
  count=$(sed -n 's/^test://p' "$here/schedule" | wc -w)
fi

mkdir -p "$outdir"
rm -f "$outdir"/node*.log "$outdir/regression.diffs" "$outdir/regression.out"

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-mn.XXXXXX)
export MYCELIUM_MN_DIR
status=1
summary_printed=

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? i data
  [ "$status" -eq 0 ] || [ "$rc" -ne 0 ] || rc=1
  trap - EXIT INT TERM
  for ((i = 1; i <= nodes; i++)); do
    data=$(mn_datadir "$i")
    if [ -f "$data/postmaster.pid" ]; then
      { mn_stop "$i" immediate 2>/dev/null || echo "multinode: could not stop node $i" >&2; } &
    fi
  done
  wait
  for ((i = 1; i <= nodes; i++)); do
    [ -f "$(mn_logfile "$i")" ] && cp "$(mn_logfile "$i")" "$outdir/node$i.log"
  done
  if [ "$rc" -ne 0 ]; then
    for ((i = 1; i <= nodes; i++)); do
      # initdb's log is kept only when initdb failed.
      for log in "$MYCELIUM_MN_DIR/node$i.initdb.log" "$(mn_logfile "$i")"; do
        [ -s "$log" ] || continue
        echo "--- tail of $(basename "$log") ---" >&2
        tail -n 25 "$log" >&2
      done
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
  [ -n "$summary_printed" ] || echo "multi-node regression: FAILED before the scenarios ran (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chown postgres: "$MYCELIUM_MN_DIR" 2>/dev/null || [ "$(id -un)" = postgres ] ||
  mn_die "cannot give $MYCELIUM_MN_DIR to postgres"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"

# initdb refuses root; one cluster per node (distinct system identifiers), in parallel.
pids=()
for ((i = 1; i <= nodes; i++)); do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >"$MYCELIUM_MN_DIR/node$i.initdb.log" 2>&1 &
  pids+=($!)
done
for ((i = 1; i <= nodes; i++)); do
  wait "${pids[i - 1]}" || mn_die "initdb of node $i failed"
  rm -f "$MYCELIUM_MN_DIR/node$i.initdb.log"
  # node-<i>'s key, as regress/sign.py derives it (the scenarios register node-<i> with it).
  /usr/bin/python3 regress/sign.py keyfile "node-$i" "$MYCELIUM_MN_DIR/node$i.key"
  mn_node_key "$(mn_datadir "$i")" "$MYCELIUM_MN_DIR/node$i.key"
done

# Start the nodes, each on the next free port; a port taken between probe and start is skipped.
: >"$MYCELIUM_MN_DIR/state"
port=$base_port
for ((i = 1; i <= nodes; i++)); do
  for attempt in 1 2 3 4 5; do
    port=$(mn_free_port "$port") || mn_die "no free port from $base_port on"
    if mn_start "$i" "$port"; then
      break
    fi
    grep -Eq 'could not bind|could not create any TCP/IP sockets|Address already in use' \
      "$(mn_logfile "$i")" 2>/dev/null || mn_die "node $i did not start"
    port=$((port + 1))
    [ "$attempt" -lt 5 ] || mn_die "node $i did not start: no usable port"
  done
  echo "MN_PORT_$i=$port" >>"$MYCELIUM_MN_DIR/state"
  export "MYCELIUM_NODE${i}_PORT=$port"
  port=$((port + 1))
done
echo "MN_NODES=$nodes" >>"$MYCELIUM_MN_DIR/state"
export MYCELIUM_NODES=$nodes
export MYCELIUM_HARNESS="$PWD/$here/node.sh"

# Every node: database mycelium with both extensions (in parallel).
psql_node() {
  local p=$1
  shift
  "$pg_bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$p" -U postgres "$@"
}
pids=()
for ((i = 1; i <= nodes; i++)); do
  p_var="MYCELIUM_NODE${i}_PORT"
  {
    psql_node "${!p_var}" -d postgres -c 'CREATE DATABASE mycelium' &&
      psql_node "${!p_var}" -d mycelium -c 'CREATE EXTENSION mycelium' -c 'CREATE EXTENSION postgres_fdw'
  } >"$MYCELIUM_MN_DIR/node$i.setup.log" 2>&1 &
  pids+=($!)
done
for ((i = 1; i <= nodes; i++)); do
  wait "${pids[i - 1]}" || {
    cat "$MYCELIUM_MN_DIR/node$i.setup.log" >&2
    mn_die "setting up database mycelium on node $i failed"
  }
done

ports=""
for ((i = 1; i <= nodes; i++)); do
  p_var="MYCELIUM_NODE${i}_PORT"
  ports+="${ports:+, }${!p_var}"
done
echo "multinode: $nodes node(s) up on 127.0.0.1 ports $ports"

# pg_regress (run as root: it is only a client here) drops and recreates the test database on
# node 1 with both extensions, then runs the scenarios with psql.
set +e
"$pg_regress" --host=127.0.0.1 --port="$MYCELIUM_NODE1_PORT" --user=postgres \
  --dbname=mycelium_mn_regression --load-extension=mycelium --load-extension=postgres_fdw \
  --inputdir="$here" --outputdir="$outdir" --bindir="$pg_bindir" "${tests[@]}"
rc=$?
set -e

tenths=$((($(date +%s%N) - started) / 100000000))
elapsed="$((tenths / 10)).$((tenths % 10))"
summary_printed=yes
if [ $rc -eq 0 ]; then
  status=0
  echo "multi-node regression: $count scenario(s) passed on $nodes node(s) (${elapsed}s)"
else
  echo "multi-node regression: FAILED (pg_regress exit $rc, $count scenario(s) on $nodes node(s));" \
    "differences in $outdir/regression.diffs"
fi
exit $rc
