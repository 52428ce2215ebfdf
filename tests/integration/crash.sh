#!/usr/bin/env bash
# Crash test: kill -9 the primary's and the replica's postmasters (with every backend and the
# push worker) in turn while three writers put signed records into one shard, CYCLES times
# (default 10; a longer run: CYCLES=100 tests/integration/crash.sh). Afterwards every write a
# writer saw acknowledged is present exactly once on both nodes, each key has exactly one audit
# entry, both chains verify, and the replica's chain is the primary's (same head seq and hash,
# same records).
#
# A write counts as acknowledged when `mycelium put` exited 0 (its COMMIT returned). Writes cut
# off by a crash may or may not be there; they are not counted. The servers run with
# fsync=off: a killed process loses nothing the kernel holds, and only a machine crash would
# need the flush.
# Prints `crash: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD_DIR:-$root/build}
cli="$build/cli/mycelium"
CYCLES=${CYCLES:-10}
WRITERS=${WRITERS:-3}
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || { echo "crash: CYCLES must be a positive number" >&2; exit 2; }
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
passed=0
failed=0

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-crash.XXXXXX)
export MYCELIUM_MN_DIR
writer_pids=()
cleanup() {
  touch "$MYCELIUM_MN_DIR/stop"
  for pid in "${writer_pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  for i in 1 2; do mn_running "$i" 2>/dev/null && mn_stop "$i" immediate >/dev/null 2>&1; done
  if [ "$failed" -gt 0 ]; then
    for i in 1 2; do
      echo "--- node $i server log (tail)"
      tail -n 20 "$(mn_logfile "$i")"
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
}
trap cleanup EXIT
chown postgres: "$MYCELIUM_MN_DIR"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
echo "MN_NODES=2" >"$MYCELIUM_MN_DIR/state"

declare -A pg
port=$(mn_free_port 27500)
for i in 1 2; do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust \
    --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || { echo "initdb failed"; exit 2; }
  echo "mycelium.push_interval = '100ms'" >>"$(mn_datadir "$i")/postgresql.conf"
  "$cli" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
  mn_node_key "$(mn_datadir "$i")" "$MYCELIUM_MN_DIR/node-$i.key"
  pg[$i]=$(mn_free_port "$port")
  mn_start "$i" "${pg[$i]}" || { echo "node $i did not start"; exit 2; }
  echo "MN_PORT_$i=${pg[$i]}" >>"$MYCELIUM_MN_DIR/state"
  port=$((pg[$i] + 1))
done
dsn() { echo "host=127.0.0.1 port=${pg[$1]} user=postgres dbname=mycelium connect_timeout=2"; }
sql() { psql -X -q -At -d "$(dsn "$1")" -v ON_ERROR_STOP=1 -c "$2"; }
for i in 1 2; do
  psql -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null
  sql "$i" "CREATE EXTENSION mycelium; CREATE EXTENSION postgres_fdw;
            SELECT mycelium.set_local_node('node-$i');
            CREATE ROLE sync_node_$((3 - i)) LOGIN IN ROLE mycelium_replicator;" >/dev/null
done
for target in 1 2; do
  for i in 1 2; do
    "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" \
      --type validator --ip 127.0.0.1 --port "${pg[$i]}" --dsn "$(dsn "$target")" >/dev/null
  done
done
sql 1 "SELECT mycelium.set_peer_credentials('node-2', 'push', 'sync_node_1');
       SELECT mycelium.create_shard('crash', replicas => 0);
       SELECT mycelium.add_replica('crash', 'node-2');" >/dev/null

# writer N: puts new keys wN-1, wN-2, ... until the stop file appears; each acknowledged key
# is appended to acked.N. A refused or failed put is not retried under the same key.
writer() {
  local n=$1 seq=0
  while [ ! -e "$MYCELIUM_MN_DIR/stop" ]; do
    seq=$((seq + 1))
    if "$cli" put --key-file "$MYCELIUM_MN_DIR/node-1.key" --node-id node-1 --shard crash \
      --key "w$n-$seq" --value "$seq" --dsn "$(dsn 1)" >/dev/null 2>&1; then
      echo "w$n-$seq" >>"$MYCELIUM_MN_DIR/acked.$n"
    else
      sleep 0.05
    fi
  done
}

# crash NODE: SIGKILL for the postmaster and all its children at once (no shutdown of any
# kind), then a normal start, which runs crash recovery.
crash() {
  local data pid kids
  data=$(mn_datadir "$1")
  pid=$(head -n 1 "$data/postmaster.pid")
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  # shellcheck disable=SC2086
  kill -9 "$pid" $kids 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  # pg_ctl warns that the old postmaster.pid is still there: that is the point.
  mn_start "$1" "${pg[$1]}" 2>>"$MYCELIUM_MN_DIR/restarts.log"
}

echo "# $CYCLES cycles: $WRITERS writers on node-1 (primary of shard crash), kill -9 of each node in turn"
for n in $(seq 1 "$WRITERS"); do
  writer "$n" &
  writer_pids+=($!)
done
restarts_ok=1
for cycle in $(seq 1 "$CYCLES"); do
  sleep 0.$((RANDOM % 5 + 3))
  node=$((cycle % 2 == 1 ? 1 : 2))
  crash "$node" || restarts_ok=0
done
sleep 0.5
touch "$MYCELIUM_MN_DIR/stop"
wait "${writer_pids[@]}"
writer_pids=()
check "both nodes came back after every kill -9" test "$restarts_ok" = 1
cat "$MYCELIUM_MN_DIR"/acked.* 2>/dev/null | sort >"$MYCELIUM_MN_DIR/acked"
acked=$(wc -l <"$MYCELIUM_MN_DIR/acked")
echo "# $acked writes acknowledged"
check "writes were acknowledged between the crashes (at least $((CYCLES * 2)))" test "$acked" -ge $((CYCLES * 2))

# The replica catches up (push_now ignores the backoff the crashes caused).
caught_up() {
  sql 1 "SELECT mycelium.push_now('crash')" >/dev/null 2>&1
  [ "$(sql 1 "SELECT lag_changes = 0 AND last_error IS NULL FROM mycelium.push_status WHERE shard_id = 'crash'")" = t ]
}
check "the replica caught up" wait_for 60 caught_up

keys_on() { sql "$1" "SELECT key FROM mycelium.data WHERE shard_id = 'crash' ORDER BY key" | sort; }
for i in 1 2; do
  keys_on "$i" >"$MYCELIUM_MN_DIR/keys.$i"
  check "node $i holds every acknowledged write" \
    test "$(comm -23 "$MYCELIUM_MN_DIR/acked" "$MYCELIUM_MN_DIR/keys.$i" | wc -l)" = 0
  check "node $i holds each key once, at version 1" \
    test "$(sql "$i" "SELECT count(*) = count(DISTINCT key) AND bool_and(version = 1) FROM mycelium.data WHERE shard_id = 'crash'")" = t
  check "node $i logged each key exactly once" \
    test "$(sql "$i" "SELECT count(*) = (SELECT count(*) FROM mycelium.data WHERE shard_id = 'crash') AND count(*) = count(DISTINCT key) FROM mycelium.audit_log WHERE shard_id = 'crash'")" = t
  check "node $i's chain and records verify" \
    test "$(sql "$i" "SELECT valid FROM mycelium.verify_audit('crash')")" = t
done
check "the replica's chain is the primary's (records, digests, head seq and hash)" \
  test "$(sql 1 "SELECT match FROM mycelium.verify_replica('crash', 'node-2')")" = t
echo "# $(wc -l <"$MYCELIUM_MN_DIR/keys.1") records on each node"

echo "crash: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
