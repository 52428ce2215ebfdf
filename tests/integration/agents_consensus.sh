#!/usr/bin/env bash
# Elected shards, end to end (issue 14; schemas/CONSENSUS.md, "Elected shards: the agent"):
# three validator nodes (PostgreSQL + mycelium-agent each) on loopback, full mesh.
#
# An elected shard is created on node 1 with replicas on nodes 2 and 3; from then on only the
# agents carry its changes (the push login is revoked on 2 and 3). It checks:
#   - the group forms over the links: node 1 (the primary, term 0) bootstraps it, adds nodes 2
#     and 3; exactly one leader; /status and the metrics show it;
#   - every node applies the leader's epoch to its database (shards.term, kind, shard_epochs);
#   - the leader publishes its lease (mycelium.consensus_state); the followers hold none;
#   - writes: on the primary they reach both replicas; on a replica they fail MC012 naming the
#     primary;
#   - kill -9 the leader's agent: its node refuses writes once the lease ran out, another node
#     leads within a few seconds, its epoch is applied on the survivors, and it accepts writes;
#     the restarted agent rejoins as a follower and its node becomes a replica;
#   - a write the primary made that never left it (its entries could not be served) is moved
#     aside when the node rejoins after a failover, and the log says so;
#   - stop the leader's PostgreSQL: its agent stops its groups after ~2 s and another node
#     leads; once the database is back the node rejoins as a follower.
# Prints `agents_consensus: N passed, N failed`; exits nonzero on any failure.
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

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-consensus.XXXXXX)
export MYCELIUM_MN_DIR
agent_pids=()
cleanup() {
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for i in 1 2 3; do mn_running "$i" 2>/dev/null && mn_stop "$i" immediate >/dev/null 2>&1; done
  if [ "$failed" -gt 0 ] || [ "${keep_logs:-0}" = 1 ]; then
    for f in "$MYCELIUM_MN_DIR"/agent*.log; do
      [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
}
trap cleanup EXIT
chown postgres: "$MYCELIUM_MN_DIR"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
echo "MN_NODES=3" >"$MYCELIUM_MN_DIR/state"

port=$(mn_free_port 26700)
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
sql_as() { # sql_as NODE ROLE SQL: as a login role; prints the error too
  psql -X -q -At -h 127.0.0.1 -p "${pg[$1]}" -U "$2" -d mycelium -v ON_ERROR_STOP=1 -c "$3" 2>&1
}
for i in 1 2 3; do
  psql -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null
  sql "$i" "CREATE EXTENSION mycelium; CREATE EXTENSION postgres_fdw;
            SELECT mycelium.set_local_node('node-$i');
            CREATE ROLE mycelium_sync LOGIN IN ROLE mycelium_replicator;
            CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus;
            CREATE ROLE writer LOGIN IN ROLE mycelium_validator;" >/dev/null
  "$cli" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
  mn_node_key "$(mn_datadir "$i")" "$MYCELIUM_MN_DIR/node-$i.key"
  sql "$i" "SELECT pg_reload_conf()" >/dev/null
done
for target in 1 2 3; do
  for i in 1 2 3; do
    "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" \
      --type validator --ip 127.0.0.1 --port "${pg[$i]}" \
      --dsn "host=127.0.0.1 port=${pg[$target]} user=postgres dbname=mycelium" >/dev/null
  done
  for i in 1 2 3; do
    [ "$i" = "$target" ] || sql "$target" "SELECT mycelium.set_peer_credentials('node-$i', 'push', 'mycelium_sync')" >/dev/null
  done
done

shard=s-elected
# The elected shard, created on node 1 with replicas on 2 and 3. From here only the agents
# carry changes (the push login may no longer deliver on 2 and 3).
sql 1 "SELECT mycelium.create_shard('$shard', replicas => 0, elected => true);
       SELECT mycelium.add_replica('$shard', 'node-2');
       SELECT mycelium.add_replica('$shard', 'node-3');" >/dev/null ||
  { echo "cannot create the elected shard"; exit 2; }
for i in 2 3; do sql "$i" "REVOKE mycelium_replicator FROM mycelium_sync" >/dev/null; done

write_config() { # write_config I PEERS...
  local i=$1
  shift
  local f="$MYCELIUM_MN_DIR/agent$i.yaml"
  {
    echo "node_id: node-$i"
    echo "key_file: node-$i.key"
    echo "node_type: validator"
    echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}"
    echo "http: {address: 127.0.0.1, port: ${http_port[$i]}}"
    echo "database_dsn: host=127.0.0.1 port=${pg[$i]} user=mycelium_agent dbname=mycelium connect_timeout=2"
    echo "log_level: info"
    echo "ping_interval_ms: 300"
    echo "peer_timeout_ms: 3000"
    echo "redial_min_ms: 200"
    echo "redial_max_ms: 1000"
    echo "db_sync_interval_ms: 200"
    echo "consensus: {directory: consensus-$i, election_timeout_ms: 1000, heartbeat_ms: 100}"
    echo "bootstrap_peers:"
    for peer in "$@"; do echo "  - 127.0.0.1:${agent_port[$peer]}"; done
  } >"$f"
  echo "$f"
}
start_agent() { # start_agent I
  "$agent_bin" --config "$MYCELIUM_MN_DIR/agent$1.yaml" >>"$MYCELIUM_MN_DIR/agent$1.log" 2>&1 &
  agent_pids[$1]=$!
}
group() { # group I FIELD: the field of the shard's group in agent I's /status ("" when none)
  curl -s --max-time 2 "http://127.0.0.1:${http_port[$1]}/status" | /usr/bin/python3 -c "
import json, sys
try:
    s = json.load(sys.stdin)
except Exception:
    sys.exit(0)
for g in s.get('consensus', []):
    if g['shard'] == '$shard':
        v = g.get('$2')
        print('' if v is None else (json.dumps(v) if isinstance(v, (dict, bool)) else v))"
}
metric() { # metric I NAME_WITH_LABELS
  curl -s --max-time 2 "http://127.0.0.1:${http_port[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'
}
leaders() { # the agents (among $@) whose group is leader with a lease, space-separated
  local out="" i
  for i in "$@"; do
    [ "$(group "$i" role)" = leader ] && [ "$(group "$i" lease)" = true ] && out="$out $i"
  done
  echo "${out# }"
}
one_leader_among() { # one_leader_among NODES...: exactly one leads, the others follow it
  local l
  l=$(leaders "$@")
  [ -n "$l" ] && [ "$(wc -w <<<"$l")" = 1 ] || return 1
  for i in "$@"; do [ "$(group "$i" leader)" = "node-$l" ] || return 1; done
}
applied_everywhere() { # applied_everywhere TERM NODES...: each node's group applied that epoch
  local term=$1 i
  shift
  for i in "$@"; do [ "$(group "$i" applied_term)" = "$term" ] || return 1; done
}

for i in 1 2 3; do
  peers=()
  for j in 1 2 3; do [ "$j" = "$i" ] || peers+=("$j"); done
  write_config "$i" "${peers[@]}" >/dev/null
  start_agent "$i"
done

# --- The group --------------------------------------------------------------------------------
check "the group forms: exactly one leader among the three, followed by the others" \
  wait_for 30 one_leader_among 1 2 3
first=$(leaders 1 2 3)
check "node 1, the primary whose shard had no epoch, bootstrapped it and leads" test "$first" = 1
term1=$(group 1 term)
check "every node applies the leader's epoch (term $term1) to its database" \
  wait_for 15 applied_everywhere "$term1" 1 2 3
check "...the epoch names node 1 from seq 0" \
  test "$(group 2 epoch)" = "{\"term\": $term1, \"primary\": \"node-1\", \"start_seq\": 0}"
check "/status shows the take-office phase done on the leader" test "$(group 1 taking_office)" = done
check "the leader counts its election (mycelium_agent_consensus_elections_won_total)" \
  test "$(metric 1 mycelium_agent_consensus_elections_won_total)" -ge 1
check "...and one leader group (mycelium_agent_consensus_groups{role=\"leader\"})" \
  test "$(metric 1 'mycelium_agent_consensus_groups{role="leader"}')" = 1
check "Raft traffic crosses the links (RaftMessage in and out)" \
  test "$(metric 2 'mycelium_agent_messages_in_total{type="RaftMessage"}')" -gt 0
check "...with no message dropped as non-member or rejected" \
  test -z "$(metric 2 'mycelium_agent_consensus_dropped_total{reason="rejected"}')$(metric 2 'mycelium_agent_consensus_dropped_total{reason="non-member"}')"
check "the log says once that node 1 leads, and each membership change" \
  bash -c "grep -c 'this node leads its consensus group' '$MYCELIUM_MN_DIR/agent1.log' | grep -qx 1 &&
           grep -q 'consensus membership: promote node-2 done' '$MYCELIUM_MN_DIR/agent1.log' &&
           grep -q 'consensus membership: promote node-3 done' '$MYCELIUM_MN_DIR/agent1.log'"

state() { sql "$1" "SELECT kind || ' ' || primary_node || ' ' || term FROM mycelium.shards WHERE shard_id = '$shard'"; }
check "node 1's database follows the epoch as primary, nodes 2 and 3 as its replicas" \
  test "$(state 1)/$(state 2)/$(state 3)" = "primary node-1 $term1/replica node-1 $term1/replica node-1 $term1"
lease() { sql "$1" "SELECT term || ' ' || COALESCE(leader, '-') || ' ' || lease_valid FROM mycelium.consensus_state WHERE shard_id = '$shard'"; }
check "the leader holds the lease in its database (mycelium.consensus_state)" \
  wait_for 5 bash -c "[ \"\$($(declare -f sql lease); $(declare -p pg shard); lease 1)\" = '$term1 node-1 true' ]"
check "...the followers hold none, and name node 1 as leader" \
  test "$(lease 2)/$(lease 3)" = "$term1 node-1 false/$term1 node-1 false"

# --- Writes and failover ---------------------------------------------------------------------
put() { # put NODE KEY: a signed write through the CLI as the node, with a validator's login
  "$cli" put --key-file "$MYCELIUM_MN_DIR/node-$1.key" --node-id "node-$1" \
    --dsn "host=127.0.0.1 port=${pg[$1]} user=writer dbname=mycelium" \
    --shard "$shard" --key "$2" --value '{"n": 1}' 2>&1
}
has_key() { [ "$(sql "$1" "SELECT count(*) FROM mycelium.data WHERE shard_id = '$shard' AND key = '$2'")" = 1 ]; }
check "a write on the primary node 1 succeeds" bash -c "$(declare -f put); $(declare -p pg shard cli MYCELIUM_MN_DIR); put 1 k1 >/dev/null"
check "...and reaches both replicas through the agents" \
  wait_for 10 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key 2 k1 && has_key 3 k1"
out=$(put 2 k2)
check "a put sent to replica node 2 is refused there (MC012 naming node 1)..." \
  grep -q 'MC012.*write to node "node-1"' <<<"$out"
check "...and the CLI follows it to node 1 (says so)" \
  grep -q "following shard $shard's primary node-1 at 127.0.0.1:${pg[1]}" <<<"$out"
check "...where it lands" grep -q "^put $shard/k2 version 1" <<<"$out"
check "...and reaches node 3" wait_for 10 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key 1 k2 && has_key 3 k2"
# A write that never leaves node 1: its agent can no longer read the audit log to serve it.
sql 1 "REVOKE SELECT ON mycelium.audit_log FROM mycelium_miner" >/dev/null
check "node 1 writes 'lonely' while its entries cannot be served" \
  bash -c "$(declare -f put); $(declare -p pg shard cli MYCELIUM_MN_DIR); put 1 lonely >/dev/null"
sleep 1
check "...which stays on node 1" bash -c "! { $(declare -f sql has_key); $(declare -p pg shard); has_key 2 lonely || has_key 3 lonely; }"

# Kill -9 the leader's agent: another node leads within a few seconds, takes office with a new
# epoch, and the survivors apply it.
kill -9 "${agent_pids[1]}"
killed_at=$SECONDS
sleep 1
out=$(put 1 k3)
check "killing the leader's agent: a second later node 1 refuses writes (MC012: its lease ran out; the CLI waits ~10 s for an epoch that cannot reach node 1, then gives up)" \
  grep -q 'MC012.*gave up following the primary' <<<"$out"
check "...node 2 or 3 leads within 10 s" wait_for 10 one_leader_among 2 3
second=$(leaders 2 3)
echo "     (new leader node-$second after $((SECONDS - killed_at)) s)"
term2=$(group "$second" term)
check "...in a later term ($term2 > $term1)" test "$term2" -gt "$term1"
check "...and both survivors apply its epoch" wait_for 10 applied_everywhere "$term2" 2 3
check "...which names node-$second as primary" \
  test "$(group 2 epoch | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["primary"])')" = "node-$second"
# The agent checks its privileges at start: give back what was taken. The others no longer
# ask node 1 for entries (they follow node-$second), so 'lonely' still never leaves it.
sql 1 "GRANT SELECT ON mycelium.audit_log TO mycelium_miner" >/dev/null
start_agent 1
check "the restarted agent 1 rejoins as a follower of node-$second" \
  wait_for 20 bash -c "[ \"\$(curl -s http://127.0.0.1:${http_port[1]}/status | /usr/bin/python3 -c \"import json,sys; g=json.load(sys.stdin)['consensus'][0]; print(g['role'], g['leader'])\")\" = 'follower node-$second' ]"
check "...and applies the new epoch to its database" wait_for 15 applied_everywhere "$term2" 1
check "...the new primary accepts writes" \
  wait_for 10 bash -c "$(declare -f put); $(declare -p pg shard cli MYCELIUM_MN_DIR); put $second k4 >/dev/null"
for i in 2 3; do [ "$i" = "$second" ] || third_node=$i; done
check "...and keeps the three members (its epoch made them its replicas: none is removed)" \
  bash -c "! grep -q 'consensus membership: remove' '$MYCELIUM_MN_DIR/agent$second.log'"
check "...node-$second's database lists nodes 1 and $third_node as its replicas" \
  test "$(sql "$second" "SELECT string_agg(node_id, ',' ORDER BY node_id) FROM mycelium.replicas WHERE shard_id = '$shard'")" = \
  "$(printf '%s\n' node-1 "node-$third_node" | sort | paste -sd,)"
check "...which reach the third node" wait_for 10 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key $third_node k4"
check "...node 1 is now a replica of node-$second" wait_for 10 bash -c "[ \"\$($(declare -f sql state); $(declare -p pg shard); state 1)\" = 'replica node-$second $term2' ]"
check "...its lonely write was moved aside (mycelium.moved_aside_entries), not applied" \
  test "$(sql 1 "SELECT count(*) || ' ' || min(superseded_by_term) FROM mycelium.moved_aside_entries WHERE shard_id = '$shard' AND key = 'lonely'") $(sql 1 "SELECT count(*) FROM mycelium.data WHERE shard_id = '$shard' AND key = 'lonely'")" = "1 $term2 0"
check "...the agent's log says so" grep -q "aside" "$MYCELIUM_MN_DIR/agent1.log"
check "...and node 1 catches up with the new primary's writes" wait_for 15 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key 1 k4"
check "...with a valid chain" test "$(sql 1 "SELECT valid FROM mycelium.verify_audit('$shard')")" = t

# Stop the leader's PostgreSQL: its agent stops its groups after ~2 s, another node leads;
# once the database is back the node rejoins as a follower.
leader=$(leaders 1 2 3)
others=()
for i in 1 2 3; do [ "$i" = "$leader" ] || others+=("$i"); done
mn_stop "$leader" immediate >/dev/null 2>&1
check "stopping node $leader's PostgreSQL (the leader's): one of the others leads within 15 s" \
  wait_for 15 one_leader_among "${others[@]}"
check "...node $leader's agent stopped its group (role stopped) and says why" \
  bash -c "[ \"\$(curl -s http://127.0.0.1:${http_port[$leader]}/status | /usr/bin/python3 -c \"import json,sys; print(json.load(sys.stdin)['consensus'][0]['role'])\")\" = stopped ] &&
           grep -q 'stopping the consensus groups of 1 elected shards' '$MYCELIUM_MN_DIR/agent$leader.log'"
mn_start "$leader" "${pg[$leader]}" >/dev/null || echo "node $leader did not restart"
third=$(leaders "${others[@]}")
check "...and once its database is back it rejoins as a follower of node-$third" \
  wait_for 30 bash -c "[ \"\$(curl -s http://127.0.0.1:${http_port[$leader]}/status | /usr/bin/python3 -c \"import json,sys; g=json.load(sys.stdin)['consensus'][0]; print(g['role'], g['leader'])\")\" = 'follower node-$third' ]"

# remove_replica on the primary takes a node out of the group: its leader removes the member,
# and the node's copy is closed. (The push login may deliver again: the close travels by it.)
for i in 1 2 3; do sql "$i" "GRANT mycelium_replicator TO mycelium_sync" >/dev/null; done
check "node-$third's database is the primary of term $(group "$third" term)" \
  wait_for 10 bash -c "[ \"\$($(declare -f sql state); $(declare -p pg shard); state $third | cut -d' ' -f1)\" = primary ]"
removed=$leader
out=$(sql "$third" "SELECT mycelium.remove_replica('$shard', 'node-$removed')" 2>&1)
check "remove_replica('$shard', 'node-$removed') on the primary node-$third succeeds" test -z "$out"
check "...its leader removes node-$removed from the group" \
  wait_for 15 grep -q "consensus membership: remove node-$removed done" "$MYCELIUM_MN_DIR/agent$third.log"
check "...and node-$removed no longer holds the shard" \
  wait_for 10 bash -c "[ \"\$($(declare -f sql); $(declare -p pg); sql $removed \"SELECT count(*) FROM mycelium.shards WHERE shard_id = '$shard'\")\" = 0 ]"
check "...whose agent moves the group's directory to retired/ (a shard made again with this id starts afresh)" \
  wait_for 10 bash -c "[ ! -e '$MYCELIUM_MN_DIR/consensus-$removed/$shard' ] && ls '$MYCELIUM_MN_DIR/consensus-$removed/retired/' | grep -q '^$shard\.'"

for i in 1 2 3; do kill -TERM "${agent_pids[$i]}" 2>/dev/null; done
clean=1
for i in 1 2 3; do wait "${agent_pids[$i]}" 2>/dev/null || clean=0; done
check "SIGTERM stops every agent cleanly (exit 0)" test "$clean" = 1
agent_pids=()

echo "agents_consensus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
