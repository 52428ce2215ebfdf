#!/usr/bin/env bash
# What an operator running two agents by hand meets (issue "Run it by hand"), on two PostgreSQL
# nodes with an agent each, node 2 knowing node 1 as its bootstrap peer:
#   - start-up checks: an agent refuses to start, saying what to run, when its database lacks
#     the extension, its login lacks the agent's privileges, node_type contradicts the
#     registration, or database_dsn names another node's database; started before its
#     database, it waits for it, answering HTTP (/health 503 saying why, /status "starting")
#     but not listening for peers until the checks pass;
#   - restarts are free: a dozen quick restarts of agent 2 cost it nothing on agent 1 (the first
#     address request of each session is not "too soon");
#   - a banned node is told why (by whom, until when), redials with backoff, and each side logs
#     it once; a lift is logged once, and not again when the agent restarts;
#   - an unreachable bootstrap peer is logged once at info (no stray bytes), its return too;
#   - DB sync rounds that cannot complete make /health fail (stale), logged once, and recover.
# Prints `agents-operator: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
build=${BUILD_DIR:-$root/build}
agent_bin="$build/agent/mycelium-agent"
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
# shellcheck source=tests/integration/agent_net.sh
. tests/integration/agent_net.sh
passed=0
failed=0

trap agent_net_finish EXIT
# Keys sign.py can sign with: the ban below is a blacklist entry signed by node-1.
AGENT_NET_SEEDED_KEYS=1 agent_net_create 2
log1="$MYCELIUM_MN_DIR/agent1.log"
log2="$MYCELIUM_MN_DIR/agent2.log"
metric() { curl -s "http://127.0.0.1:${http_port[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'; }

# --- start-up checks: each variant of node 1's configuration must make the agent exit 1 with
# a line that says what is wrong and what to do, before it listens.
base=$(agent_config 1 "")
refuses() { # refuses NAME SED_EXPRESSION EXPECTED_TEXT
  local cfg="$MYCELIUM_MN_DIR/agent1-$1.yaml" out rc
  sed "$2" "$base" >"$cfg"
  out=$(cd "$MYCELIUM_MN_DIR" && timeout 20 "$agent_bin" --config "$cfg" 2>&1)
  rc=$?
  if [ "$rc" != 1 ] || ! grep -qF -- "$3" <<<"$out" || grep -q "identity verified" <<<"$out"; then
    echo "     exit $rc, output: $out"
    return 1
  fi
}
check "without the extension in its database: refused, naming the database and the fix" \
  refuses no-extension 's/dbname=mycelium/dbname=postgres/' \
  "the mycelium extension is not installed in database postgres (database_dsn): run CREATE EXTENSION mycelium there"
sql 1 "CREATE ROLE bare_agent LOGIN" >/dev/null
check "a login without the agent's roles: refused, listing what is missing and the GRANT to run" \
  refuses no-roles 's/user=mycelium_agent/user=bare_agent/' \
  "login bare_agent lacks privileges the agent needs in database mycelium (database_dsn): EXECUTE on mycelium.blacklist_add("
check "...ending with the command" \
  refuses no-roles 's/user=mycelium_agent/user=bare_agent/' \
  "run GRANT mycelium_replicator, mycelium_miner TO bare_agent;"
check "node_type miner for a node registered as a validator: refused" \
  refuses wrong-type 's/^node_type: validator/node_type: miner/' \
  "node_type is miner in the configuration, but mycelium.node_metadata registers node-1 as a validator"
check "database_dsn naming node 2's database: refused, saying whose it is" \
  refuses other-db "s/port=${pg[1]} user=mycelium_agent/port=${pg[2]} user=mycelium_agent/" \
  "database mycelium (database_dsn) is node node-2's (mycelium.local_node), not node-1's"

# --- restarts are free. Discovery at its default interval (30 s): every restart's address
# request comes sooner than that after the one before.
slow_discovery='s/^discovery_interval_ms: .*/discovery_interval_ms: 30000/'
sed -i "$slow_discovery" "$(agent_config 1 "")"
sed -i "$slow_discovery" "$(agent_config 2 "" 1)"
# Agent 1 starts before its database: it waits, and starts serving once the database is up.
mn_stop 1 fast
agent_start 1 "$MYCELIUM_MN_DIR/agent1.yaml"
sleep 4
check "an agent started before its database waits for it (still running)" kill -0 "${agent_pids[1]}"
check "...saying so once" test "$(grep -c "waiting for the database to check node node-1" "$log1")" = 1
health_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http_port[$1]}/health"; }
health_is() { [ "$(health_of "$1")" = "$2" ]; }
# Whether something accepts TCP connections on 127.0.0.1:PORT.
accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# While it waits, its HTTP port answers (a monitor tells "waiting" from "down"), its peer port
# does not: no peer is accepted before the database has confirmed the node's identity.
check "...meanwhile /health answers 503" health_is 1 503
waiting_health=$(curl -s "http://127.0.0.1:${http_port[1]}/health")
echo "     /health: $waiting_health"
check "...saying why: waiting for the database (its error) since N s, not yet listening for peers" \
  grep -Eq "^waiting for the database \(cannot connect to the database: .*port ${pg[1]} failed: .*\) since [0-9]+ s: not yet listening for peers$" <<<"$waiting_health"
check ".../status answers with status \"starting\"" \
  test "$(http 1 /status | json "d['status'] + ' ' + str(d['peer_count']) + ' ' + str(d['chain'])")" = "starting 0 None"
check ".../metrics answers, with no peer port open" test "$(metric 1 mycelium_agent_listening_ports)" = 0
gossip_refused=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $AGENT_NET_TOKEN" \
  --data-binary hi "http://127.0.0.1:${http_port[1]}/gossip?topic=t")
check "...POST /gossip is refused (503) until it runs" test "$gossip_refused" = 503
check "...and the peer port is not listening" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/${agent_port[1]}) 2>/dev/null"
mn_start 1 "${pg[1]}" || echo "node 1 did not restart"
check "...and serves once the database is up" wait_for 15 health_is 1 200
check "...listening for peers now" accepting "${agent_port[1]}"
check "...having logged its identity verified once" test "$(grep -c "node node-1 identity verified" "$log1")" = 1
agent_start 2 "$MYCELIUM_MN_DIR/agent2.yaml"
linked() { [ "$(linked_peers "$1" 2>/dev/null)" = 1 ]; }
check "agents 1 and 2 link" wait_for 15 linked 2
asked() { [ "$(metric 1 'mycelium_agent_messages_in_total{type="AddressRequest"}')" -ge "$1" ] 2>/dev/null; }
restarted=0
for n in $(seq 1 12); do
  kill -TERM "${agent_pids[2]}"
  wait "${agent_pids[2]}" 2>/dev/null
  agent_start 2 "$MYCELIUM_MN_DIR/agent2.yaml"
  wait_for 10 linked 2 && wait_for 5 asked $((n + 1)) && restarted=$((restarted + 1))
done
echo "     restarted: $restarted"
check "agent 2 restarted 12 times, linking and asking for addresses each time" test "$restarted" = 12
score_is_0() { http 1 /peers | json "[p['score'] for p in d['peers'] if p['node_id'] == 'node-2'][0] == 0"; }
check "...which cost it nothing on agent 1 (score 0)" test "$(score_is_0)" = True
check "...no address request was refused as too soon" \
  test -z "$(metric 1 'mycelium_agent_messages_rejected_total{reason="rate-limited"}')"
check "...and node 2 is not banned" test "$(sql 1 "SELECT count(*) FROM mycelium.blacklist")" = 0

# --- a ban: node-1 signs a blacklist entry against node-2 (what its agent does on misbehaviour).
now=$(($(date +%s%3N)))
until_ms=$((now + 60000))
sig=$(/usr/bin/python3 regress/sign.py blacklist node-1 node-2 "test ban" node-1 "$now" "$until_ms")
refused_before=$(metric 1 'mycelium_agent_handshake_failures_total{reason="refused"}')
sql 1 "SELECT mycelium.blacklist_add('node-2', 'test ban', 'node-1', $now, $until_ms, '$sig')" >/dev/null
unlinked() { [ "$(linked_peers 1 2>/dev/null)" = 0 ]; }
check "agent 1 closes its link to banned node 2" wait_for 5 unlinked
told() { grep -q "the peer refused the handshake (refused): node node-2 is banned by node-1 on the shared blacklist" "$log2"; }
check "agent 2 is told why, by whom" wait_for 10 told
sleep 6
refusals=$(($(metric 1 'mycelium_agent_handshake_failures_total{reason="refused"}') - ${refused_before:-0}))
echo "     agent 2 redialled $refusals times in about 6 s (redial_min 200 ms, redial_max 1 s)"
# Without backoff agent 2 alone redials every ~0.3 s (20 in 6 s); agent 1's own dials to node 2,
# refused by the same check, add to the count, so the bound leaves room for them under load.
check "...and redials with backoff, not every redial_min_ms (at most 14 refusals in ~6 s)" \
  test "$refusals" -le 14
check "...agent 2 logs the refusal once, repeats at debug" \
  test "$(grep -c "the peer refused the handshake (refused)" "$log2")" = 1
check "...agent 1 logs refusing it once" test "$(grep -c "refusing sessions from node-2" "$log1")" = 1
sql 1 "SELECT mycelium.blacklist_lift('node-2')" >/dev/null
check "after a lift, agent 2 links again" wait_for 10 linked 2
check "...saying so, with the failed attempts" \
  grep -Eq "linked to node-1 again after [0-9]+ failed attempts to reach 127.0.0.1:${agent_port[1]}" "$log2"
check "agent 1 logs the lift once" test "$(grep -c "blacklist lifted for node-2" "$log1")" = 1
kill -TERM "${agent_pids[1]}"
wait "${agent_pids[1]}" 2>/dev/null

# --- an unreachable bootstrap peer: agent 1 is down now.
sleep 4
check "agent 2 logs once at info that its bootstrap peer cannot be reached" \
  test "$(grep -c "peer 127.0.0.1:${agent_port[1]} (node-1): cannot connect" "$log2")" = 1
check "...with no stray NUL or control bytes in its log" \
  /usr/bin/python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(any(b < 32 and b != 10 for b in d))" "$log2"
agent_start 1 "$MYCELIUM_MN_DIR/agent1.yaml"
check "when agent 1 is back, agent 2 links again" wait_for 15 linked 2
check "...and logs it" test "$(grep -c "linked to node-1 again after" "$log2")" = 2
check "agent 1 did not log the old lift again at its start" \
  test "$(grep -c "blacklist lifted for node-2" "$log1")" = 1

# --- a DB sync that cannot complete: node 2's agent may no longer read its sync cursors.
check "agent 2 is healthy" wait_for 10 health_is 2 200
sql 2 "REVOKE SELECT ON mycelium.chain_heads FROM mycelium_replicator, mycelium_miner" >/dev/null
check "/health of agent 2 fails (503) once no DB sync round completes for 10 intervals" \
  wait_for 20 health_is 2 503
check "...saying why" bash -c "curl -s http://127.0.0.1:${http_port[2]}/health | grep -Eq '^DB sync stale: no round completed for [0-9]+ s'"
check "...the failing statement is logged once, not every round" \
  test "$(grep -c "cannot read the DB sync cursors" "$log2")" = 1
sql 2 "GRANT SELECT ON mycelium.chain_heads TO mycelium_replicator, mycelium_miner" >/dev/null
check "/health of agent 2 is ok again once rounds complete" wait_for 10 health_is 2 200
check "...and the end of the failures is logged with their count" \
  grep -Eq "cannot read the DB sync cursors \(mycelium.chain_heads\): working again after [0-9]+ failures" "$log2"

check "SIGTERM stops both agents" agent_stop_all
echo "agents-operator: $passed passed, $failed failed"
[ "$failed" = 0 ]
