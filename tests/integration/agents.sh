#!/usr/bin/env bash
# Three PostgreSQL nodes, each with a mycelium-agent beside it, on loopback:
#   - the agents authenticate each other (node-1 and node-2 validators, node-3 a miner);
#   - a write on node 1 reaches nodes 2 and 3 through the agents' DB sync (the extension's
#     postgres_fdw push is paused, so only the agents can carry it);
#   - an agent whose node is not registered with the others is refused at the handshake;
#   - garbage frames are rejected and the agent lives on;
#   - connections that do not authenticate are limited: at most max_pending wait at once, each
#     is closed after handshake.timeout_ms, and one address opening many is refused;
#   - kill -9 one agent, write on, restart it: it reconnects and catches up; meanwhile the
#     other agent redials it from its address record, and stops when it is deactivated;
#   - deactivating a node closes its links and refuses it until it is active again;
#   - SIGTERM stops every agent cleanly.
# Prints `agents: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD_DIR:-$root/build}
cli="$build/cli/mycelium"
agent_bin="$build/agent/mycelium-agent"
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh

# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
passed=0
failed=0

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-agents.XXXXXX)
export MYCELIUM_MN_DIR
agent_pids=()
cleanup() {
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for i in 1 2 3; do mn_running "$i" 2>/dev/null && mn_stop "$i" immediate >/dev/null 2>&1; done
  if [ "$failed" -gt 0 ] || [ "${keep_logs:-0}" = 1 ]; then
    for f in "$MYCELIUM_MN_DIR"/agent*.log; do
      [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 25 "$f"; }
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
}
trap cleanup EXIT
chown postgres: "$MYCELIUM_MN_DIR"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
echo "MN_NODES=3" >"$MYCELIUM_MN_DIR/state"


port=$(mn_free_port 26300)
declare -A pg agent_port http_port
for i in 1 2 3; do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust \
    --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || { echo "initdb failed"; exit 2; }
  pg[$i]=$(mn_free_port "$port")
  mn_start "$i" "${pg[$i]}" || { echo "node $i did not start"; exit 2; }
  echo "MN_PORT_$i=${pg[$i]}" >>"$MYCELIUM_MN_DIR/state"
  agent_port[$i]=$(mn_free_port $((pg[$i] + 1)))
  http_port[$i]=$(mn_free_port $((agent_port[$i] + 1)))
  port=$((http_port[$i] + 1))
done

sql() { # sql NODE SQL: one value, superuser
  psql -X -q -At -h 127.0.0.1 -p "${pg[$1]}" -U postgres -d mycelium -v ON_ERROR_STOP=1 -c "$2"
}
for i in 1 2 3; do
  psql -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null
  sql "$i" "CREATE EXTENSION mycelium; CREATE EXTENSION postgres_fdw;
            SELECT mycelium.set_local_node('node-$i');
            CREATE ROLE mycelium_sync LOGIN IN ROLE mycelium_replicator;
            CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus;" >/dev/null
  "$cli" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
  # The database signs its audit entries with the node's key too (a copy it owns).
  mn_node_key "$(mn_datadir "$i")" "$MYCELIUM_MN_DIR/node-$i.key"
  sql "$i" "SELECT pg_reload_conf()" >/dev/null
done
types=([1]=validator [2]=validator [3]=miner)
for target in 1 2 3; do
  for i in 1 2 3; do
    "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" \
      --type "${types[$i]}" --ip 127.0.0.1 --port "${pg[$i]}" \
      --dsn "host=127.0.0.1 port=${pg[$target]} user=postgres dbname=mycelium" >/dev/null
  done
  for i in 1 2 3; do
    [ "$i" = "$target" ] || sql "$target" "SELECT mycelium.set_peer_credentials('node-$i', 'push', 'mycelium_sync')" >/dev/null
  done
done
# An empty shard replicated to nodes 2 and 3 (add_replica opens the copies there).
sql 1 "SELECT mycelium.create_shard('s-agents', replicas => 0);
       SELECT mycelium.add_replica('s-agents', 'node-2');
       SELECT mycelium.add_replica('s-agents', 'node-3');" >/dev/null
# From here only the agents can carry changes: the login node 1's postgres_fdw push uses on
# nodes 2 and 3 may no longer deliver to their inboxes.
for i in 2 3; do sql "$i" "REVOKE mycelium_replicator FROM mycelium_sync" >/dev/null; done

write_config() { # write_config I PEERS...
  local i=$1
  shift
  local f="$MYCELIUM_MN_DIR/agent$i.yaml"
  {
    echo "node_id: node-$i"
    echo "key_file: node-$i.key"
    echo "node_type: ${types[$i]:-validator}"
    echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}"
    echo "http: {address: 127.0.0.1, port: ${http_port[$i]}}"
    echo "database_dsn: host=127.0.0.1 port=${pg[${db_node:-$i}]} user=mycelium_agent dbname=${db_name:-mycelium}"
    echo "log_level: ${log_level:-info}"
    echo "wire_format: ${wire_format:-flatbuffers}"
    echo "ping_interval_ms: 300"
    echo "peer_timeout_ms: 3000"
    echo "redial_min_ms: 200"
    echo "redial_max_ms: 1000"
    echo "db_sync_interval_ms: 200"
    echo "handshake: {timeout_ms: 1000, per_address_per_second: 4, per_address_burst: 8, max_pending: 4}"
    echo "bootstrap_peers:"
    for peer in "$@"; do echo "  - 127.0.0.1:${agent_port[$peer]}"; done
  } >"$f"
  echo "$f"
}
start_agent() { # start_agent I CONFIG
  "$agent_bin" --config "$2" >>"$MYCELIUM_MN_DIR/agent$1.log" 2>&1 &
  agent_pids[$1]=$!
}
status_field() { # status_field I FIELD
  curl -s "http://127.0.0.1:${http_port[$1]}/status" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))"
}
metric() { # metric I NAME_WITH_LABELS
  curl -s "http://127.0.0.1:${http_port[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'
}

start_agent 1 "$(write_config 1)"
start_agent 2 "$(write_config 2 1)"
# Node 3's agent speaks the JSON form of the protocol on the links it dials.
start_agent 3 "$(wire_format=json write_config 3 1 2)"

peers_at_least() { [ "$(status_field "$1" peer_count 2>/dev/null)" -ge "$2" ] 2>/dev/null; }
peer_count_is() { [ "$(status_field "$1" peer_count 2>/dev/null)" = "$2" ]; }
check "agent 1 is up (/health)" wait_for 10 curl -sf "http://127.0.0.1:${http_port[1]}/health" -o /dev/null
check "agent 1 counts its one listening port (no port rotation)" \
  wait_for 5 bash -c "curl -s http://127.0.0.1:${http_port[1]}/metrics | grep -qx 'mycelium_agent_listening_ports 1'"

# --- Operator mistakes (issue 12, item 11): a port in use, SIGHUP. A block of its own. ---
# A second agent started with agent 1's configuration finds agent 1 on its port: it says so and
# exits nonzero, without libwebsockets' raw line.
second_log="$MYCELIUM_MN_DIR/agent1-second.log"
timeout 30 "$agent_bin" --config "$MYCELIUM_MN_DIR/agent1.yaml" >"$second_log" 2>&1
second_status=$?
check "a second agent on agent 1's port exits nonzero (status $second_status)" \
  test "$second_status" -ne 0 -a "$second_status" -ne 124
check "...saying the port is in use and by what" grep -qF \
  "cannot listen on 127.0.0.1:${agent_port[1]} (listen.port): address already in use (another mycelium-agent or program holds it)" \
  "$second_log"
check "...without libwebsockets' raw line" bash -c "! grep -q 'ERROR on binding' '$second_log'"
# SIGHUP is not a reload: the agent logs that, once per signal, and serves on.
hup_line='SIGHUP received: configuration reload is not supported; restart the agent to apply changes'
hup_logged() { [ "$(grep -cF "$hup_line" "$MYCELIUM_MN_DIR/agent1.log")" = "$1" ]; }
kill -HUP "${agent_pids[1]}"
check "SIGHUP is logged as not supported" wait_for 5 hup_logged 1
kill -HUP "${agent_pids[1]}"
check "...once per signal" wait_for 5 hup_logged 2
check "agent 1 lives on after SIGHUP" kill -0 "${agent_pids[1]}"
check "...and serves /health" curl -sf "http://127.0.0.1:${http_port[1]}/health" -o /dev/null
# --- end of the block ---

check "node 1 authenticated both peers" wait_for 15 peers_at_least 1 2
check "node 2 authenticated both peers" wait_for 15 peers_at_least 2 2
check "node 3 authenticated both peers" wait_for 15 peers_at_least 3 2
check "node 3's links use the JSON subprotocol" grep -q "to node-3 (.*, incoming, json," "$MYCELIUM_MN_DIR/agent1.log"
check "the negotiated protocol version is recorded" \
  test "$(sql 1 "SELECT protocol_version FROM mycelium.node_metadata WHERE node_id = 'node-2'")" = "1.3"

# A write on node 1 reaches nodes 2 and 3 through the agents.
for k in a b c; do
  "$cli" put --key-file "$MYCELIUM_MN_DIR/node-1.key" --node-id node-1 --shard s-agents --key "$k" \
    --value "{\"k\": \"$k\"}" --dsn "host=127.0.0.1 port=${pg[1]} user=postgres dbname=mycelium" >/dev/null
done
has_rows() { [ "$(sql "$1" "SELECT count(*) FROM mycelium.data WHERE shard_id = 's-agents'")" = "$2" ]; }
check "the writes reached node 2 through DB sync" wait_for 15 has_rows 2 3
check "the writes reached node 3 through DB sync" wait_for 15 has_rows 3 3
caught_up() { [ "$(metric "$1" 'mycelium_agent_sync_behind{shard="s-agents"}')" = 0 ]; }
check "...and agent 2 reports s-agents caught up (mycelium_agent_sync_behind 0)" wait_for 5 caught_up 2
fdw_blocked() { [ "$(sql 1 "SELECT count(*) FROM mycelium.replicas WHERE shard_id = 's-agents' AND pushed_seq = 0")" = "2" ]; }
check "...and not through the fdw push, which is refused" fdw_blocked
digest() { sql "$1" "SELECT encode(digest, 'hex') || '/' || (SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-agents') FROM mycelium.shard_digests WHERE shard_id = 's-agents'"; }
check "node 2's copy matches node 1 (records digest and chain head)" test "$(digest 2)" = "$(digest 1)"
check "node 3's audit chain verifies" \
  test "$(sql 3 "SELECT valid FROM mycelium.verify_audit('s-agents')")" = "t"
check "messages were counted in /metrics" \
  test -n "$(metric 1 'mycelium_agent_messages_in_total{type="DBSyncReq"}')"

# An agent whose node only its own database knows: the others refuse it at the handshake.
psql -X -q -h 127.0.0.1 -p "${pg[3]}" -U postgres -d postgres -c "CREATE DATABASE intruder" >/dev/null
psql -X -q -At -h 127.0.0.1 -p "${pg[3]}" -U postgres -d intruder \
  -c "CREATE EXTENSION mycelium; SELECT mycelium.set_local_node('node-4')" >/dev/null
"$cli" keygen --out "$MYCELIUM_MN_DIR/node-4.key" >/dev/null
agent_port[4]=$(mn_free_port "$port"); http_port[4]=$(mn_free_port $((agent_port[4] + 1)))
# node-4 knows node-1 (so it completes its side of the handshake); node 1 does not know node-4.
for i in 1 4; do
  "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" --type validator \
    --ip 127.0.0.1 --port "${pg[3]}" --dsn "host=127.0.0.1 port=${pg[3]} user=postgres dbname=intruder" >/dev/null
done
before=$(metric 1 'mycelium_agent_handshake_failures_total{reason="refused"}')
db_node=3 db_name=intruder start_agent 4 "$(db_node=3 db_name=intruder write_config 4 1)"
refused_more() { [ "$(metric 1 'mycelium_agent_handshake_failures_total{reason="refused"}')" != "${before:-}" ] &&
  [ -n "$(metric 1 'mycelium_agent_handshake_failures_total{reason="refused"}')" ]; }
check "an unregistered node is refused at the handshake" wait_for 10 refused_more
check "...and never counted as a peer" test "$(status_field 1 peer_count)" = "2"
kill "${agent_pids[4]}" 2>/dev/null

# Garbage: random bytes and a well-formed WebSocket carrying nonsense. The agent lives on.
/usr/bin/python3 - "${agent_port[1]}" <<'PY'
import asyncio, os, sys
import websockets
async def main():
    for payload in (os.urandom(64), b"\x00" * 10, b"MYC1" + os.urandom(200)):
        try:
            async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/", subprotocols=["mycelium.v1.flatbuffers"]) as ws:
                await ws.send(payload)
                try:
                    await asyncio.wait_for(ws.recv(), 2)
                except Exception:
                    pass
        except Exception as e:
            print("garbage client:", repr(e), file=sys.stderr)
asyncio.run(main())
PY
check "garbage frames were rejected" test -n "$(metric 1 'mycelium_agent_messages_rejected_total{reason="malformed"}')"
check "agent 1 lives on after garbage" curl -sf "http://127.0.0.1:${http_port[1]}/health" -o /dev/null
check "an agent without http.token_file refuses POST /gossip (403)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary x "http://127.0.0.1:${http_port[1]}/gossip?topic=t")" = 403
check "agent 1 still has both peers" test "$(status_field 1 peer_count)" = "2"

# Unauthenticated connections (handshake: max_pending 4, timeout 1 s, 8 at once and 4/s per
# address). Six idle WebSockets at once: four wait and are closed at the deadline, two are
# refused at once. Then twenty in a row from one address: the bucket runs dry.
idle=$(/usr/bin/python3 - "${agent_port[1]}" <<'PY'
import asyncio, sys, time
import websockets
url = f"ws://127.0.0.1:{sys.argv[1]}/"
async def idle():
    start = time.monotonic()
    try:
        async with websockets.connect(url, subprotocols=["mycelium.v1.flatbuffers"]) as ws:
            await asyncio.wait_for(ws.wait_closed(), 10)
    except Exception:
        pass
    return time.monotonic() - start
async def main():
    await asyncio.sleep(2.5)  # the garbage connections above spent tokens: refill
    times = await asyncio.gather(*(idle() for _ in range(6)))
    fast = sum(1 for t in times if t < 0.5)
    held = sum(1 for t in times if 0.8 <= t < 3)
    for _ in range(20):
        try:
            async with websockets.connect(url, subprotocols=["mycelium.v1.flatbuffers"]):
                pass
        except Exception:
            pass
    print(f"{fast} {held}")
asyncio.run(main())
PY
)
check "of six idle connections at once, two were refused at once" test "${idle% *}" = 2
check "...and four were closed at the handshake deadline" test "${idle#* }" = 4
check "...counted as too-many-pending" \
  test "$(metric 1 'mycelium_agent_handshake_failures_total{reason="too-many-pending"}')" = 2
check "...and as timeouts" \
  test "$(metric 1 'mycelium_agent_handshake_failures_total{reason="timeout"}')" -ge 4
check "twenty connections in a row from one address ran its bucket dry" \
  test "$(metric 1 'mycelium_agent_handshake_failures_total{reason="rate-limited"}')" -ge 1
check "agent 1 kept both peers meanwhile" test "$(status_field 1 peer_count)" = "2"

# kill -9 agent 2, write on, restart it: it reconnects and catches up.
kill -9 "${agent_pids[2]}"
wait "${agent_pids[2]}" 2>/dev/null
for k in d e; do
  "$cli" put --key-file "$MYCELIUM_MN_DIR/node-1.key" --node-id node-1 --shard s-agents --key "$k" \
    --value "{\"k\": \"$k\"}" --dsn "host=127.0.0.1 port=${pg[1]} user=postgres dbname=mycelium" >/dev/null
done
check "node 3 keeps receiving while agent 2 is down" wait_for 15 has_rows 3 5
dials_to() { # dials_to I NODE: agent I's dials to NODE that came from address records
  curl -s "http://127.0.0.1:${http_port[$1]}/peers" |
    /usr/bin/python3 -c "import json,sys; print(sum(1 for d in json.load(sys.stdin)['dials'] if d['node_id'] == '$2' and not d['bootstrap']))"
}
redialling() { [ "$(dials_to 1 node-2)" = 1 ]; }
check "agent 1 redials node 2 from the address record node 2 announced" wait_for 5 redialling
sql 1 "SELECT mycelium.deactivate_node('node-2')" >/dev/null
not_dialling() { [ "$(dials_to 1 node-2)" = 0 ]; }
check "...and stops once node 1's registry says node 2 is inactive" wait_for 5 not_dialling
check "...saying why" grep -q "no longer dialling node-2" "$MYCELIUM_MN_DIR/agent1.log"
sql 1 "UPDATE mycelium.node_metadata SET is_active = true WHERE node_id = 'node-2'" >/dev/null
start_agent 2 "$MYCELIUM_MN_DIR/agent2.yaml"
check "agent 2 reconnects" wait_for 15 peers_at_least 2 2
check "node 2 catches up after the restart" wait_for 15 has_rows 2 5

# A session lasts only while the registry admits its peer: node 1 deactivates node 3.
sql 1 "SELECT mycelium.deactivate_node('node-3')" >/dev/null
check "agent 1 closes its link to node 3 once node 3 is deactivated" wait_for 5 peer_count_is 1 1
check "...saying why" grep -q "closing the link to node-3: no longer an admitted node" "$MYCELIUM_MN_DIR/agent1.log"
sleep 2
check "...and keeps refusing it while it redials" test "$(status_field 1 peer_count)" = 1
sql 1 "UPDATE mycelium.node_metadata SET is_active = true WHERE node_id = 'node-3'" >/dev/null
check "node 3 is linked again once reactivated" wait_for 10 peers_at_least 1 2

# Node 1's database goes down for a while: /health says so (503, with the reason) and /status
# says degraded; the agent logs it once, counts the failed attempts, and logs the recovery.
health_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http_port[$1]}/health"; }
health_is() { [ "$(health_of "$1")" = "$2" ]; }
mn_stop 1 fast
check "/health of agent 1 fails (503) while its database is down" wait_for 20 health_is 1 503
check "...saying why" \
  bash -c "curl -s http://127.0.0.1:${http_port[1]}/health | grep -Eq '^database unreachable for [0-9]+ s: .+'"
check "...and /status says degraded" test "$(status_field 1 status)" = degraded
sleep 3
check "...logged once, not on every failed attempt" \
  test "$(grep -c 'further failures are counted' "$MYCELIUM_MN_DIR/agent1.log")" = 1
check "...and no other line repeats the database's error" \
  test "$(grep -Ec 'cannot connect to the database|lost the connection to the database' "$MYCELIUM_MN_DIR/agent1.log")" -le 1
mn_start 1 "${pg[1]}" || echo "node 1 did not restart"
check "/health of agent 1 is ok again once its database is back" wait_for 30 health_is 1 200
check "...and the recovery is logged with the count" \
  grep -q "database reachable again after [0-9]* failed attempts" "$MYCELIUM_MN_DIR/agent1.log"

# A clean stop on SIGTERM.
for i in 1 2 3; do kill -TERM "${agent_pids[$i]}" 2>/dev/null; done
clean=1
for i in 1 2 3; do
  wait "${agent_pids[$i]}" || clean=0
  grep -q "stopped" "$MYCELIUM_MN_DIR/agent$i.log" || clean=0
done
check "SIGTERM stops every agent cleanly (exit 0)" test "$clean" = 1
agent_pids=()

echo "agents: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
