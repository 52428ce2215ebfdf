#!/usr/bin/env bash
# Five PostgreSQL nodes with a mycelium-agent each, on loopback, every agent rotating its peer
# port every 4 seconds (port_rotation), gossip fanout 3 with ttl 2 (so at most two rounds):
#   - nodes 2..5 know only node 1 (bootstrap) and discover all the others;
#   - a gossip message from node 3 reaches every node, one of them by a relay;
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
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
build=${BUILD_DIR:-$root/build}
forger="$build/tests/forger"
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
# shellcheck source=tests/integration/agent_net.sh
. tests/integration/agent_net.sh
passed=0
failed=0

N=5
trap agent_net_finish EXIT
agent_net_create $N
"$build/cli/mycelium" keygen --out "$MYCELIUM_MN_DIR/mallory.key" >/dev/null
for target in $(seq 1 $N); do
  agent_net_register mallory "$MYCELIUM_MN_DIR/mallory.key" miner 1 "$target"
  sql "$target" "UPDATE mycelium.node_metadata SET stake = 10" >/dev/null
done
head -c 32 /dev/urandom >"$MYCELIUM_MN_DIR/rotation.secret"

rotating='gossip: {fanout: 3, ttl: 2}
blacklist: {ban_seconds: 12}
port_rotation: {enabled: true, epoch_seconds: 4, grace_seconds: 1, announce_seconds: 1,
                range: 200, secret_file: rotation.secret}'
publish() { # publish NODE TOPIC BODY: prints the message id
  curl -sf -X POST -H "Authorization: Bearer $AGENT_NET_TOKEN" --data-binary "$3" \
    "http://127.0.0.1:${http_port[$1]}/gossip?topic=$2" | json "d['message_id']"
}
has_message() { http "$1" /gossip | json "'$2' in [m['message_id'] for m in d['messages']]" | grep -qx True; }

agent_start 1 "$(agent_config 1 "$rotating")"
for i in 2 3 4 5; do agent_start "$i" "$(agent_config "$i" "$rotating" 1)"; done

# --- discovery
check "every node, knowing only node 1, discovered and linked all four others" wait_for 30 all_linked
dialled() { # dialled A B: A's link to B was dialled by A
  grep -q "authenticated link to node-$2 (127.0.0.1:[0-9]*, outgoing" "$MYCELIUM_MN_DIR/agent$1.log"
}
pairs_dialled() { # each of the six links among nodes 2..5 was dialled by one of its ends
  local a b
  for a in 2 3 4 5; do
    for b in 2 3 4 5; do
      [ "$a" -lt "$b" ] || continue
      dialled "$a" "$b" || dialled "$b" "$a" || return 1
    done
  done
}
check "...each link among nodes 2..5 dialled by one of its ends from a discovered record" pairs_dialled

# --- gossip
# Publishing makes the node sign: POST /gossip needs the bearer token of http.token_file, even
# on loopback. Without it, or with another token: 401, and nothing is published.
post_status() { # post_status NODE [AUTHORIZATION]: the HTTP status of a POST /gossip
  curl -s -o /dev/null -w '%{http_code}' -X POST ${2:+-H "Authorization: $2"} \
    --data-binary "unauthorised" "http://127.0.0.1:${http_port[$1]}/gossip?topic=hello"
}
check "POST /gossip without the token is refused (401)" test "$(post_status 3)" = 401
check "...and with another token (401)" test "$(post_status 3 "Bearer wrong-token-0123456789")" = 401
published_by_3() { curl -s "http://127.0.0.1:${http_port[3]}/metrics" | awk '$1 == "mycelium_agent_gossip_total{verdict=\"published\"}" {print $2}'; }
check "...and nothing was published" test "$(published_by_3)" = ""
# A POST is answered once its body is complete, which needs a Content-Length: a chunked body is
# refused at once (411; the client used to wait for ever), and so is one larger than 64 KiB (413).
post_with() { # post_with NODE CURL-ARGS...: the status, or 000 when no answer came within 5 s
  local node=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -H "Expect:" \
    -H "Authorization: Bearer $AGENT_NET_TOKEN" "$@" "http://127.0.0.1:${http_port[$node]}/gossip?topic=hello"
}
check "a chunked POST /gossip is answered at once: 411, a Content-Length is needed" \
  test "$(post_with 3 -H 'Transfer-Encoding: chunked' --data-binary chunked)" = 411
check "...a POST announcing 70,000 bytes: 413" \
  test "$(head -c 70000 /dev/zero | tr '\0' x | post_with 3 --data-binary @-)" = 413
check "...and neither was published" test "$(published_by_3)" = ""
id=$(publish 3 hello "from node 3")
check "...while with the token node 3 publishes" test "$(published_by_3)" = 1
reached_all() { local i; for i in 1 2 4 5; do has_message "$i" "$id" || return 1; done; }
check "a gossip message from node 3 (ttl 2: at most 2 rounds) reached nodes 1, 2, 4 and 5" \
  wait_for 10 reached_all
relayed() { # nodes whose copy came from a relay, not from node 3
  local i n=0
  for i in 1 2 4 5; do
    [ "$(http "$i" /gossip | json "[m['from'] for m in d['messages'] if m['message_id'] == '$id'][0]")" = node-3 ] ||
      n=$((n + 1))
  done
  echo "$n"
}
check "...at least the one node 3 did not pick (fanout 3 of 4 peers) got it relayed" \
  test "$(relayed)" -ge 1
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
metric() { curl -s "http://127.0.0.1:${http_port[$1]}/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
# Asserted on the agents' side: a target that closes with forged frames still unread resets the
# connection, which may discard its own last frames before the forger reads them.
check "node 1 banned the forging peer by its own scoring" \
  test "$(metric 1 'mycelium_agent_bans_total{source="local"}')" = 1
check "node 2 banned the forging peer by its own scoring" \
  test "$(metric 2 'mycelium_agent_bans_total{source="local"}')" = 1
check "...both for invalid signatures" \
  grep -Eq "banning mallory until 20[0-9-]+T[0-9:.]+Z \(invalid-signature" "$MYCELIUM_MN_DIR/agent1.log" "$MYCELIUM_MN_DIR/agent2.log"
entries() { [ "$(sql "$1" "SELECT count(*) FROM mycelium.list_blacklist() WHERE node_id = 'mallory'")" = 2 ]; }
check "node 5 holds the entries of nodes 1 and 2 against it" wait_for 10 entries 5
check "...received from a peer, not added locally" \
  test "$(sql 5 "SELECT count(*) FROM mycelium.blacklist WHERE node_id = 'mallory' AND received_from IS NOT NULL")" = 2
entries_3_4() { entries 3 && entries 4; }
check "...and node 3 and 4 hold them too" wait_for 5 entries_3_4
check "node 5 counted a ban by shared entries" \
  test "$(metric 5 'mycelium_agent_bans_total{source="shared"}')" = 1
check "node 5 reports mallory banned by 2 vouching validators" \
  test "$(http 5 /peers | json "[p['vouching_validators'] for p in d['peers'] if p['node_id'] == 'mallory'][0]")" = 2
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 0 "127.0.0.1:${agent_port[5]}")
check "node 5, which mallory never reached before, refuses it at the handshake" grep -q "refused" <<<"$out"
check "...and tells it why: banned, by whom, on the shared blacklist" \
  grep -q "refused (the peer refused the handshake (refused): node mallory is banned by node-5 on the shared blacklist" <<<"$out"
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 0 "127.0.0.1:${agent_port[1]}")
check "node 1 tells it until when its own ban lasts, and why" \
  grep -Eq "node mallory is banned by node-1 until 20[0-9-]+T[0-9:.]+Z \(invalid-signature" <<<"$out"

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
wait "${agent_pids[4]}" 2>/dev/null # reaped here: bash would report it "Killed" on stderr
declare -A log_mark # lines of each agent's log before the restart
for i in 1 2 3 5; do log_mark[$i]=$(wc -l <"$MYCELIUM_MN_DIR/agent$i.log"); done
agent_start 4 "$(agent_config 4 "$rotating" 1)"
relinked() { [ "$(linked_peers 4 2>/dev/null)" = $((N - 1)) ]; }
check "agent 4, restarted knowing only node 1, links all others again" wait_for 20 relinked
# Which side dials first is a race (the others redial node 4's rotated port as soon as it
# listens again), so each link counts in either direction: agent 4 dialled node I on a port
# other than I's base port, or node I dialled node 4 on a port other than 4's base port.
on_rotated_port() { # on_rotated_port I
  grep "authenticated link to node-$1 (127.0.0.1:" "$MYCELIUM_MN_DIR/agent4.log" | grep outgoing |
    grep -vq "127.0.0.1:${agent_port[$1]}," && return 0
  tail -n +"$((log_mark[$1] + 1))" "$MYCELIUM_MN_DIR/agent$1.log" |
    grep "authenticated link to node-4 (127.0.0.1:" | grep outgoing |
    grep -vq "127.0.0.1:${agent_port[4]},"
}
each_on_rotated_port() { on_rotated_port 2 && on_rotated_port 3 && on_rotated_port 5; }
check "...each link on a rotated port" each_on_rotated_port
knows_rotated() { # agent 4's address book holds a port node 2 listens on now (learnt from node 1)
  local p
  p=$(http 4 /peers | json "[q['port'] for q in d['peers'] if q['node_id'] == 'node-2'][0]")
  http 2 /peers | json "$p in d['listening_ports'][1:]" | grep -qx True
}
check "...and agent 4's address book follows node 2's rotated port" wait_for 5 knows_rotated

# --- expiry: the entries (12 s) run out and are lifted
expired() { [ "$(sql 5 "SELECT count(*) FROM mycelium.blacklist WHERE node_id = 'mallory'")" = 0 ]; }
check "the expired entries are dropped from mycelium.blacklist on node 5" wait_for 20 expired
check "...and list_blacklist(include_expired) on node 3 shows none live" \
  test "$(sql 3 "SELECT count(*) FROM mycelium.list_blacklist() WHERE node_id = 'mallory'")" = 0
out=$("$forger" "$MYCELIUM_MN_DIR/mallory.key" mallory 0 "127.0.0.1:${agent_port[5]}")
check "node 5 admits mallory again once the entries expired" grep -q "admitted" <<<"$out"

check "SIGTERM stops all five agents" agent_stop_all

echo "agents-p2p: $passed passed, $failed failed"
[ "$failed" = 0 ]
