#!/usr/bin/env bash
# Elected shards, end to end (issue 14; schemas/CONSENSUS.md, "Elected shards: the agent"):
# three validator nodes (PostgreSQL + mycelium-agent each) on loopback, full mesh.
#
# Part A, the agents' side, runs against any extension: when the database has no
# mycelium.elected_shards (the extension's side is not merged), the test creates throwaway
# stand-ins of the four SQL objects the agent uses in each node's test database (schema
# mycelium, marked "stand-in"): elected_shards over a table, report_consensus storing what the
# agent publishes, apply_shard_epoch recording each epoch and following it (kind, primary,
# term, voters on the primary), shard_head of an empty chain. It checks:
#   - the group forms over the links: node 1 (the primary, term 0) bootstraps it, adds nodes 2
#     and 3; exactly one leader; /status and the metrics show it;
#   - every node applies the leader's epoch to its database, in order;
#   - the leader publishes its lease (boot id, CLOCK_MONOTONIC end ahead of now) with
#     report_consensus; the followers publish none;
#   - kill -9 the leader's agent: another node leads within a few seconds and its epoch is
#     applied on the survivors; the restarted agent rejoins as a follower and applies it too;
#   - stop the leader's PostgreSQL: its agent stops its groups after ~2 s and another node
#     leads; once the database is back the node rejoins as a follower.
# Part B needs the merged extension (the real elected_shards, report_consensus,
# apply_shard_epoch, shard_head, create_shard(..., elected => true), MC012): it runs only when
# mycelium.elected_shards exists and is not a stand-in. Its checks are marked [merged].
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
            CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus;" >/dev/null
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

# The extension's side present (merged) or not (stand-ins below).
merged=$(sql 1 "SELECT to_regclass('mycelium.elected_shards') IS NOT NULL")
[ "$merged" = t ] && merged=1 || merged=0
shard=s-elected

if [ "$merged" = 0 ]; then
  echo "note: mycelium.elected_shards does not exist here: part A runs on throwaway stand-ins," \
    "part B (needs the merged extension) is skipped"
  # Stand-ins, in this test's databases only, with the signatures of /tmp/design14.md.
  for i in 1 2 3; do
    kind=replica voters=NULL
    [ "$i" = 1 ] && { kind=primary; voters="ARRAY['node-1','node-2','node-3']"; }
    sql "$i" "
      CREATE TABLE public.standin_shards (shard_id text PRIMARY KEY, kind text, primary_node text,
        term bigint NOT NULL DEFAULT 0, voters text[]);
      INSERT INTO public.standin_shards VALUES ('$shard', '$kind', 'node-1', 0, $voters);
      CREATE TABLE public.standin_leases (shard_id text PRIMARY KEY, term bigint, leader text,
        lease_expires_ms bigint, boot_id text);
      CREATE TABLE public.standin_epochs (n serial, shard_id text, term bigint, primary_node text,
        start_seq bigint, start_hash bytea, outcome text);
      -- stand-in
      CREATE VIEW mycelium.elected_shards AS
        SELECT shard_id, kind, primary_node, term, 0::bigint AS head_seq, NULL::bytea AS head_hash,
               voters FROM public.standin_shards;
      GRANT SELECT ON mycelium.elected_shards TO mycelium_replicator;
      -- stand-in
      CREATE FUNCTION mycelium.report_consensus(shard_ids text[], terms bigint[], leaders text[],
          lease_expires_ms bigint[], boot_id text) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS \$\$
          INSERT INTO public.standin_leases
            SELECT s, t, l, e, \$5 FROM unnest(\$1, \$2, \$3, \$4) AS u(s, t, l, e)
          ON CONFLICT (shard_id) DO UPDATE SET term = excluded.term, leader = excluded.leader,
            lease_expires_ms = excluded.lease_expires_ms, boot_id = excluded.boot_id \$\$;
      -- stand-in: records the epoch and follows it as the design says (no data moves here)
      CREATE FUNCTION mycelium.apply_shard_epoch(shard_id text, term bigint, primary_node text,
          start_seq bigint, start_hash bytea) RETURNS TABLE (outcome text, moved_aside bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS \$\$
        DECLARE cur bigint; o text;
        BEGIN
          SELECT s.term INTO cur FROM public.standin_shards s WHERE s.shard_id = \$1;
          IF \$2 < cur THEN o := 'stale';
          ELSIF \$2 = cur THEN o := 'already';
          ELSE
            o := CASE WHEN \$3 = 'node-$i' THEN 'primary' ELSE 'replica' END;
            UPDATE public.standin_shards s SET kind = o, primary_node = \$3, term = \$2,
              voters = CASE WHEN o = 'primary' THEN ARRAY['node-1','node-2','node-3'] END
             WHERE s.shard_id = \$1;
          END IF;
          INSERT INTO public.standin_epochs (shard_id, term, primary_node, start_seq, start_hash, outcome)
            VALUES (\$1, \$2, \$3, \$4, \$5, o);
          RETURN QUERY SELECT o, 0::bigint;
        END \$\$;
      -- stand-in
      CREATE FUNCTION mycelium.shard_head(shard_id text) RETURNS TABLE (seq bigint, hash bytea, term bigint)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
        \$\$ SELECT 0::bigint, NULL::bytea, 0::bigint \$\$;
      GRANT EXECUTE ON FUNCTION mycelium.report_consensus(text[], bigint[], text[], bigint[], text),
        mycelium.apply_shard_epoch(text, bigint, text, bigint, bytea), mycelium.shard_head(text)
        TO mycelium_replicator;" >/dev/null || { echo "cannot create the stand-ins on node $i"; exit 2; }
  done
else
  # [merged] The real thing: an elected shard created on node 1 with replicas on 2 and 3. From
  # here only the agents carry changes (the push login may no longer deliver on 2 and 3).
  sql 1 "SELECT mycelium.create_shard('$shard', replicas => 0, elected => true);
         SELECT mycelium.add_replica('$shard', 'node-2');
         SELECT mycelium.add_replica('$shard', 'node-3');" >/dev/null ||
    { echo "cannot create the elected shard"; exit 2; }
  for i in 2 3; do sql "$i" "REVOKE mycelium_replicator FROM mycelium_sync" >/dev/null; done
fi

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

# --- Part A: the agents ----------------------------------------------------------------------
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

if [ "$merged" = 0 ]; then
  monotonic_ms() { /usr/bin/python3 -c 'import time; print(int(time.monotonic() * 1000))'; }
  lease_ahead() { # lease_ahead NODE: its published lease ends after now (CLOCK_MONOTONIC)
    local end
    end=$(sql "$1" "SELECT lease_expires_ms FROM public.standin_leases WHERE shard_id = '$shard'")
    [ -n "$end" ] && [ "$end" -gt "$(monotonic_ms)" ]
  }
  check "the leader publishes its lease: an end on CLOCK_MONOTONIC ahead of now" \
    wait_for 5 lease_ahead 1
  check "...with its term, its node id as leader and this host's boot id" \
    test "$(sql 1 "SELECT term || ' ' || leader || ' ' || boot_id FROM public.standin_leases")" = \
    "$term1 node-1 $(cat /proc/sys/kernel/random/boot_id)"
  check "the followers publish no lease, and name node 1 as leader" \
    test "$(sql 2 "SELECT lease_expires_ms || ' ' || leader FROM public.standin_leases")" = "0 node-1"
  check "node 1's database follows the epoch as primary, node 2's as replica" \
    test "$(sql 1 "SELECT kind FROM public.standin_shards")$(sql 2 "SELECT kind || ' ' || term FROM public.standin_shards")" = \
    "primaryreplica $term1"
fi

# Kill -9 the leader's agent: another node leads within a few seconds, takes office with a new
# epoch, and the survivors apply it.
kill -9 "${agent_pids[1]}"
killed_at=$SECONDS
check "killing the leader's agent: node 2 or 3 leads within 10 s" wait_for 10 one_leader_among 2 3
second=$(leaders 2 3)
echo "     (new leader node-$second after $((SECONDS - killed_at)) s)"
term2=$(group "$second" term)
check "...in a later term ($term2 > $term1)" test "$term2" -gt "$term1"
check "...and both survivors apply its epoch" wait_for 10 applied_everywhere "$term2" 2 3
check "...which names node-$second as primary" \
  test "$(group 2 epoch | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["primary"])')" = "node-$second"
start_agent 1
check "the restarted agent 1 rejoins as a follower of node-$second" \
  wait_for 20 bash -c "[ \"\$(curl -s http://127.0.0.1:${http_port[1]}/status | /usr/bin/python3 -c \"import json,sys; g=json.load(sys.stdin)['consensus'][0]; print(g['role'], g['leader'])\")\" = 'follower node-$second' ]"
check "...and applies the new epoch to its database" wait_for 15 applied_everywhere "$term2" 1
if [ "$merged" = 0 ]; then
  check "...where node 1 is now a replica of node-$second" \
    test "$(sql 1 "SELECT kind || ' ' || primary_node FROM public.standin_shards")" = "replica node-$second"
  check "...having applied both epochs in order" \
    test "$(sql 1 "SELECT string_agg(term::text, ',' ORDER BY n) FROM public.standin_epochs WHERE outcome IN ('primary', 'replica')")" = "$term1,$term2"
fi

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

# --- Part B: the extension's fencing [merged] -------------------------------------------------
if [ "$merged" = 1 ]; then
  put() { # put NODE KEY: a signed write through the CLI as the node; prints the error if any
    "$cli" put --key-file "$MYCELIUM_MN_DIR/node-$1.key" --node-id "node-$1" \
      --dsn "host=127.0.0.1 port=${pg[$1]} user=postgres dbname=mycelium" \
      --shard "$shard" --key "$2" --value '{"n": 1}' 2>&1
  }
  primary=$(leaders 1 2 3)
  replicas=()
  for i in 1 2 3; do [ "$i" = "$primary" ] || replicas+=("$i"); done
  has_key() { [ "$(sql "$1" "SELECT count(*) FROM mycelium.data WHERE shard_id = '$shard' AND key = '$2'")" = 1 ]; }
  check "[merged] a write on the primary node-$primary succeeds" bash -c "$(declare -f put); put $primary k1 >/dev/null"
  check "[merged] ...and reaches both replicas" \
    wait_for 10 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key ${replicas[0]} k1 && has_key ${replicas[1]} k1"
  out=$(put "${replicas[0]}" k2)
  check "[merged] a write on a replica fails MC012 naming the primary" \
    bash -c "grep -q 'MC012' <<<'$out' && grep -q 'node-$primary' <<<'$out'"
  # The primary's agent is cut off (SIGSTOP): its lease ends within ~1 s, and a write made
  # meanwhile never leaves the node.
  kill -STOP "${agent_pids[$primary]}"
  lone=$(put "$primary" lonely)
  check "[merged] a write on the cut-off primary while its lease lasts is accepted locally" \
    bash -c "! grep -q MC0 <<<'$lone'"
  sleep 1
  out=$(put "$primary" k3)
  check "[merged] ...once the lease ran out (1 s) its writes fail MC012" grep -q MC012 <<<"$out"
  check "[merged] a new primary among the others accepts writes within a few seconds" \
    wait_for 15 bash -c "$(declare -f put); $(declare -p pg shard cli MYCELIUM_MN_DIR); put ${replicas[0]} k4 >/dev/null || put ${replicas[1]} k4 >/dev/null"
  new_primary=$(leaders "${replicas[@]}")
  for i in "${replicas[@]}"; do [ "$i" = "$new_primary" ] || follower=$i; done
  check "[merged] ...and the third node follows (has k4)" \
    wait_for 10 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key $follower k4"
  kill -9 "${agent_pids[$primary]}"
  kill -CONT "${agent_pids[$primary]}" 2>/dev/null
  start_agent "$primary"
  check "[merged] the old primary's agent restarts and the node becomes a replica that catches up" \
    wait_for 20 bash -c "$(declare -f sql has_key); $(declare -p pg shard); has_key $primary k4"
  check "[merged] ...its lonely write was moved aside (mycelium.moved_aside_entries)" \
    wait_for 10 bash -c "[ \"\$(psql -X -q -At -h 127.0.0.1 -p ${pg[$primary]} -U postgres -d mycelium -c \"SELECT count(*) FROM mycelium.moved_aside_entries WHERE shard_id = '$shard' AND key = 'lonely'\")\" = 1 ]"
  check "[merged] ...and the log says so" grep -q "moved .* entries of this node aside" "$MYCELIUM_MN_DIR/agent$primary.log"
fi

for i in 1 2 3; do kill -TERM "${agent_pids[$i]}" 2>/dev/null; done
clean=1
for i in 1 2 3; do wait "${agent_pids[$i]}" 2>/dev/null || clean=0; done
check "SIGTERM stops every agent cleanly (exit 0)" test "$clean" = 1
agent_pids=()

echo "agents_consensus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
