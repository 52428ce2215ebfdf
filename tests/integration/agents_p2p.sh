#!/usr/bin/env bash
# Five PostgreSQL nodes with a mycelium-agent each, on loopback, every agent rotating its peer
# port every 4 seconds (port_rotation), gossip fanout 3:
#   - nodes 2..5 know only node 1 (bootstrap) and discover all the others;
#   - a gossip message from node 3 reaches every node within 2 hops;
#   - the peers exchange status: mycelium.peers on node 1 shows all four as serving;
#   - a registered miner that sends forged gossip signatures (tests/integration/forger.cpp) is
#     banned by the two validators it reaches, their signed entries spread to nodes 3..5 with
#     BlacklistSync, and node 5, which it never talked to, refuses it at the handshake;
#   - port rotation over three epochs with gossip sent every 200 ms loses no message, no link
#     is re-established, and an agent restarted knowing only node 1 reaches the others on their
#     rotated ports;
#   - the blacklist entries expire: mycelium.blacklist empties and the miner is admitted again.
# Prints `agents-p2p: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD_DIR:-$root/build}
cli="$build/agent/cli/mycelium"
agent_bin="$build/agent/mycelium-agent"
forger="$build/tests/forger"
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh

# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
passed=0
failed=0

N=5
MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-p2p.XXXXXX)
export MYCELIUM_MN_DIR
agent_pids=()
cleanup() {
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for i in $(seq 1 $N); do mn_running "$i" 2>/dev/null && mn_stop "$i" --immediate >/dev/null 2>&1; done
  if [ "$failed" -gt 0 ] || [ "${keep_logs:-0}" = 1 ]; then
    for f in "$MYCELIUM_MN_DIR"/agent*.log; do
      [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
}
trap cleanup EXIT
chown postgres: "$MYCELIUM_MN_DIR"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
echo "MN_NODES=$N" >"$MYCELIUM_MN_DIR/state"

# Each agent gets a bootstrap port and 200 ports above it for rotation.
port=$(mn_free_port 57000)
declare -A pg agent_port http_port
for i in $(seq 1 $N); do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust \
    --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || { echo "initdb failed"; exit 2; }
  pg[$i]=$(mn_free_port "$port")
  mn_start "$i" "${pg[$i]}" || { echo "node $i did not start"; exit 2; }
  echo "MN_PORT_$i=${pg[$i]}" >>"$MYCELIUM_MN_DIR/state"
  agent_port[$i]=$(mn_free_port $((pg[$i] + 1)))
  http_port[$i]=$(mn_free_port $((agent_port[$i] + 201)))
  port=$((http_port[$i] + 1))
done

sql() { # sql NODE SQL: one value, superuser
  psql -X -q -At -h 127.0.0.1 -p "${pg[$1]}" -U postgres -d mycelium -v ON_ERROR_STOP=1 -c "$2"
}
for i in $(seq 1 $N); do
  psql -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null
  sql "$i" "CREATE EXTENSION mycelium; SELECT mycelium.set_local_node('node-$i');
            CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner;" >/dev/null
  "$cli" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
done
"$cli" keygen --out "$MYCELIUM_MN_DIR/mallory.key" >/dev/null
head -c 32 /dev/urandom >"$MYCELIUM_MN_DIR/rotation.secret"
for target in $(seq 1 $N); do
  dsn="host=127.0.0.1 port=${pg[$target]} user=postgres dbname=mycelium"
  for i in $(seq 1 $N); do
    "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" \
      --type validator --ip 127.0.0.1 --port "${pg[$i]}" --dsn "$dsn" >/dev/null
  done
  "$cli" register-node --key-file "$MYCELIUM_MN_DIR/mallory.key" --node-id mallory --type miner \
    --ip 127.0.0.1 --port 1 --dsn "$dsn" >/dev/null
  sql "$target" "UPDATE mycelium.node_metadata SET stake = 10" >/dev/null
done

write_config() { # write_config I BOOTSTRAP_NODES...
  local i=$1
  shift
  local f="$MYCELIUM_MN_DIR/agent$i.yaml"
  {
    echo "node_id: node-$i"
    echo "key_file: node-$i.key"
    echo "node_type: validator"
    echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}"
    echo "http: {address: 127.0.0.1, port: ${http_port[$i]}}"
    echo "database_dsn: host=127.0.0.1 port=${pg[$i]} user=mycelium_agent dbname=mycelium"
    echo "ping_interval_ms: 300"
    echo "peer_timeout_ms: 3000"
    echo "redial_min_ms: 200"
    echo "redial_max_ms: 1000"
    echo "status_interval_ms: 500"
    echo "discovery_interval_ms: 500"
    echo "gossip: {fanout: 3, ttl: 4}"
    echo "blacklist: {ban_seconds: 12}"
    echo "port_rotation: {enabled: true, epoch_seconds: 4, grace_seconds: 1, announce_seconds: 1,"
    echo "                range: 200, secret_file: rotation.secret}"
    echo "bootstrap_peers:"
    for peer in "$@"; do echo "  - 127.0.0.1:${agent_port[$peer]}"; done
  } >"$f"
  echo "$f"
}
start_agent() { # start_agent I CONFIG
  "$agent_bin" --config "$2" >>"$MYCELIUM_MN_DIR/agent$1.log" 2>&1 &
  agent_pids[$1]=$!
}
http() { curl -sf "http://127.0.0.1:${http_port[$1]}$2"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
linked_peers() { http "$1" /peers | json "sum(1 for p in d['peers'] if p['linked'])"; }
all_linked() {
  local i
  for i in $(seq 1 $N); do [ "$(linked_peers "$i" 2>/dev/null)" = $((N - 1)) ] || return 1; done
}
publish() { # publish NODE TOPIC BODY: prints the message id
  curl -sf -X POST --data-binary "$3" "http://127.0.0.1:${http_port[$1]}/gossip?topic=$2" | json "d['message_id']"
}
has_message() { http "$1" /gossip | json "'$2' in [m['message_id'] for m in d['messages']]" | grep -qx True; }

start_agent 1 "$(write_config 1)"
for i in 2 3 4 5; do start_agent "$i" "$(write_config "$i" 1)"; done

# --- discovery
check "every node, knowing only node 1, discovered and linked all four others" wait_for 30 all_linked
check "node 5's links to nodes 2..4 were dialled from discovered records" \
  grep -q "authenticated link to node-[234] (127.0.0.1:[0-9]*, outgoing" "$MYCELIUM_MN_DIR/agent5.log"

# --- gossip
id=$(publish 3 hello "from node 3")
reached_all() { local i; for i in 1 2 4 5; do has_message "$i" "$id" || return 1; done; }
check "a gossip message from node 3 reached nodes 1, 2, 4 and 5" wait_for 10 reached_all
max_hops() {
  local i worst=0 ttl
  for i in 1 2 4 5; do
    ttl=$(http "$i" /gossip | json "[m['ttl'] for m in d['messages'] if m['message_id'] == '$id'][0]")
    [ $((4 - ttl + 1)) -gt $worst ] && worst=$((4 - ttl + 1))
  done
  [ "$worst" -le 2 ]
}
check "...each within 2 hops (ttl 4, fanout 3)" max_hops
check "...delivered once per node (duplicates counted, not delivered)" \
  test "$(http 1 /gossip | json "sum(1 for m in d['messages'] if m['message_id'] == '$id')")" = 1

# --- status exchange
serving() { [ "$(sql 1 "SELECT count(*) FROM mycelium.peers WHERE status = 'serving' AND last_seen > now() - interval '10 s'")" = 4 ]; }
check "mycelium.peers on node 1 shows the four others serving, seen in the last 10 s" wait_for 10 serving
check "...with the version they report" \
  test "$(sql 1 "SELECT count(DISTINCT version) FROM mycelium.peers WHERE version IS NOT NULL")" = 1

# --- forged signatures: banned by neighbours, entry spreads, refused elsewhere
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 5 "127.0.0.1:${agent_port[1]}" "127.0.0.1:${agent_port[2]}")
echo "$out" | sed 's/^/     forger: /'
check "node 1 closed the forging peer's session" grep -q "${agent_port[1]} closed after" <<<"$out"
check "node 2 closed the forging peer's session" grep -q "${agent_port[2]} closed after" <<<"$out"
entries() { [ "$(sql "$1" "SELECT count(*) FROM mycelium.list_blacklist() WHERE node_id = 'mallory'")" = 2 ]; }
check "node 5 holds the entries of nodes 1 and 2 against it" wait_for 10 entries 5
check "...received from a peer, not added locally" \
  test "$(sql 5 "SELECT count(*) FROM mycelium.blacklist WHERE node_id = 'mallory' AND received_from IS NOT NULL")" = 2
check "...and node 3 and 4 hold them too" entries 3
metric() { curl -s "http://127.0.0.1:${http_port[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
check "node 5 counted a ban by shared entries" \
  test "$(metric 5 'mycelium_agent_bans_total{source="shared"}')" = 1
check "node 5 reports mallory banned by 2 vouching validators" \
  test "$(http 5 /peers | json "[p['vouching_validators'] for p in d['peers'] if p['node_id'] == 'mallory'][0]")" = 2
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 0 "127.0.0.1:${agent_port[5]}")
check "node 5, which mallory never reached before, refuses it at the handshake" grep -q "refused" <<<"$out"

# --- port rotation under continuous traffic
sent=()
links_before=$(grep -c "authenticated link to" "$MYCELIUM_MN_DIR/agent1.log")
rotations_before=$(grep -c "listening on rotated port" "$MYCELIUM_MN_DIR/agent1.log")
end=$((SECONDS + 13))
while [ $SECONDS -lt $end ]; do
  sent+=("$(publish 2 tick "$SECONDS")")
  sleep 0.2
done
missing() {
  local i ids n=0
  for i in 1 3 4 5; do
    ids=$(http "$i" /gossip | json "' '.join(m['message_id'] for m in d['messages'])")
    for m in "${sent[@]}"; do [[ " $ids " == *" $m "* ]] || n=$((n + 1)); done
  done
  echo "$n"
}
none_missing() { [ "$(missing)" = 0 ]; }
check "${#sent[@]} messages sent over three epochs reached every node" wait_for 10 none_missing
check "node 1 opened at least three rotated ports meanwhile" \
  test $(($(grep -c "listening on rotated port" "$MYCELIUM_MN_DIR/agent1.log") - rotations_before)) -ge 3
check "no link was re-established meanwhile (sessions survive the port changes)" \
  test "$(grep -c "authenticated link to" "$MYCELIUM_MN_DIR/agent1.log")" = "$links_before"
current_port() { http "$1" /peers | json "d['listening_ports'][1:]" ; }
follows() { # node 3's record of node 1 names a port node 1 listens on now
  local p
  p=$(http 3 /peers | json "[q['port'] for q in d['peers'] if q['node_id'] == 'node-1'][0]")
  http 1 /peers | json "$p in d['listening_ports'][1:]" | grep -qx True
}
check "node 3's address book follows node 1's rotated port" wait_for 5 follows
kill -9 "${agent_pids[4]}"
start_agent 4 "$(write_config 4 1)"
relinked() { [ "$(linked_peers 4 2>/dev/null)" = $((N - 1)) ]; }
check "agent 4, restarted knowing only node 1, links all others again" wait_for 20 relinked
rotated_dial() {
  local i
  for i in 2 3 5; do
    grep "authenticated link to node-$i (127.0.0.1:" "$MYCELIUM_MN_DIR/agent4.log" | grep outgoing |
      grep -vq "127.0.0.1:${agent_port[$i]}," && return 0
  done
  return 1
}
check "...dialling at least one of them on its rotated port" rotated_dial

# --- expiry: the entries (12 s) run out and are lifted
expired() { [ "$(sql 5 "SELECT count(*) FROM mycelium.blacklist WHERE node_id = 'mallory'")" = 0 ]; }
check "the expired entries are dropped from mycelium.blacklist on node 5" wait_for 20 expired
check "...and list_blacklist(include_expired) on node 3 shows none live" \
  test "$(sql 3 "SELECT count(*) FROM mycelium.list_blacklist() WHERE node_id = 'mallory'")" = 0
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 0 "127.0.0.1:${agent_port[5]}")
check "node 5 admits mallory again once the entries expired" grep -q "admitted" <<<"$out"

for i in $(seq 1 $N); do kill -TERM "${agent_pids[$i]}" 2>/dev/null; done
stopped() { local i; for i in $(seq 1 $N); do kill -0 "${agent_pids[$i]}" 2>/dev/null && return 1; done; return 0; }
check "SIGTERM stops all five agents" wait_for 10 stopped

echo "agents-p2p: $passed passed, $failed failed"
[ "$failed" = 0 ]
