#!/usr/bin/env bash
# The agent's chain: section against a fake chain (tests/chain/fake_chain.mjs, whose answers
# polkadot-js encodes), two nodes on loopback:
#   - agent 1 reads subnet 1 and stores its neurons (mycelium.chain_neurons, at one block);
#   - node-2 is bound, on node 1, to the hotkey //Alice (its sr25519 signature by polkadot-js),
#     so node 1 weighs node-2 by Alice's stake on the chain (mycelium.node_stake), not by the
#     registry's (0 here);
#   - agent 1 admits node-2 while that stake is at least its min_stake, closes the link and
#     refuses it once the chain says less, and admits it again when the stake is back;
#   - the CLI: `chain metagraph`, `chain bind-hotkey` from a btcli wallet file, and
#     `chain set-weights` (what the chain received decoded by polkadot-js; refused, with nothing
#     sent, when the subnet has commit-reveal on);
#   - /status names the block of the metagraph stored and when it was read;
#   - a chain that stops answering keeps the last metagraph, logged once, and its return too;
#     /status says why meanwhile;
#   - a login without mycelium_chain is refused at start-up with the GRANT to run.
# Prints `agent-chain: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
build=${BUILD_DIR:-$root/build}
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
# shellcheck source=tests/integration/agent_net.sh
. tests/integration/agent_net.sh
passed=0
failed=0

polkadot() { node tests/chain/polkadot_sign.mjs "$@"; }
alice=$(polkadot address //Alice)
bob=$(polkadot address //Bob)

# The fake chain, driven through a coprocess: a command a line in, "ok ..." lines out.
# Bittensor's recorded runtime (tests/chain/fixtures/), for set_weights.
coproc FAKE { exec node tests/chain/fake_chain.mjs --port 0 --runtime tests/chain/fixtures/subtensor-metadata-v14.json 2>&1; }
fake_pid=$FAKE_PID
finish() {
  kill "$fake_pid" 2>/dev/null
  agent_net_finish
}
trap finish EXIT
read -r -t 30 ready <&"${FAKE[0]}" || { echo "the fake chain did not start"; exit 2; }
chain_port=${ready##* }
fake() { # fake COMMAND...: sends a command, waits for its acknowledgement
  echo "$*" >&"${FAKE[1]}"
  local line
  read -r -t 10 line <&"${FAKE[0]}" && [[ $line == ok* ]]
}
fake_ask() { # fake_ask COMMAND: sends a command and prints the fake's one-line answer
  echo "$1" >&"${FAKE[1]}"
  local line
  read -r -t 10 line <&"${FAKE[0]}" && echo "$line"
}
subnet_with_alice_stake() { # subnet_with_alice_stake RAO: subnet 1, Alice as uid 0 with this stake
  fake "subnet {\"netuid\": 1, \"neurons\": [{\"hotkey\": \"$alice\", \"coldkey\": \"$bob\", \"uid\": 0, \"netuid\": 1, \"active\": true, \"validator_permit\": true, \"stake\": [[\"$bob\", \"$1\"]], \"axon_info\": {\"ip\": \"10.0.0.1\", \"ip_type\": 4, \"port\": 8091, \"protocol\": 4}}]}"
}
check "the fake chain serves subnet 1 with //Alice staking 10 TAO" subnet_with_alice_stake 10000000000

agent_net_create 2
# On node 1, node-2's registry stake is 0: only the chain can let it in (min_stake 5).
sql 1 "UPDATE mycelium.node_metadata SET stake = 0 WHERE node_id = 'node-2';
       GRANT mycelium_chain TO mycelium_agent;" >/dev/null
payload=$(sql 1 "SELECT encode(mycelium.hotkey_binding_payload('node-2', '$alice'), 'hex')")
signature=$(polkadot sign //Alice "$payload")
sql 1 "SELECT mycelium.bind_hotkey('node-2', '$alice', '$signature')" >/dev/null
stake_of_node2() { sql 1 "SELECT stake || ' ' || source FROM mycelium.node_stake WHERE node_id = 'node-2'"; }
check "before the chain is read, node-2's stake on node 1 is the registry's" \
  test "$(stake_of_node2)" = "0 registry"

chain_yaml="min_stake: 5
chain: {url: \"ws://127.0.0.1:$chain_port\", netuid: 1, sync_interval_seconds: 1, timeout_ms: 1500}"
agent_start 1 "$(agent_config 1 "$chain_yaml")"
agent_start 2 "$(agent_config 2 "" 1)"
log1="$MYCELIUM_MN_DIR/agent1.log"
stored() { [ "$(sql 1 "SELECT count(*) FROM mycelium.chain_neurons WHERE netuid = 1 AND hotkey = '$alice' AND stake_rao = 10000000000")" = 1 ]; }
check "agent 1 stores subnet 1's neurons in mycelium.chain_neurons" wait_for 15 stored
check "...and says so once, with the block" \
  test "$(grep -c 'stored the metagraph of subnet 1: 1 neurons at block [0-9]' "$log1")" = 1
check "node-2's stake on node 1 is now //Alice's on the chain" test "$(stake_of_node2)" = "10 chain"
# /status's chain: which block's metagraph the stake comes from, when it was read, any problem.
chain_status() { http 1 /status | json "json.dumps(d['chain'])"; }
stored_block() { sql 1 "SELECT max(block_number) FROM mycelium.chain_neurons WHERE netuid = 1"; }
status_block_is_stored() { [ "$(chain_status | json "d['block']")" = "$(stored_block)" ]; }
served_block=$("$build/cli/mycelium" chain metagraph --url "http://127.0.0.1:$chain_port" --netuid 1 --json | json "d['block']")
check "/status names the block of the metagraph stored in mycelium.chain_neurons" wait_for 5 status_block_is_stored
check "...which is the block the chain serves ($served_block)" test "$(stored_block)" = "$served_block"
check "...with the chain's url and netuid, the time it was read (within 5 s), and no problem" \
  /usr/bin/python3 -c "
import datetime, json, sys
c = json.loads(sys.argv[1])
read_at = datetime.datetime.strptime(c['read_at'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
age = (datetime.datetime.now(datetime.timezone.utc) - read_at).total_seconds()
ok = c['url'] == sys.argv[2] and c['netuid'] == 1 and c['problem'] is None and -1 < age < 5
sys.exit(0 if ok else print(c, age) or 1)" "$(chain_status)" "ws://127.0.0.1:$chain_port"
check "agent 2, without a chain: section, shows chain null" test "$(http 2 /status | json "d['chain']")" = None
linked() { [ "$(linked_peers "$1" 2>/dev/null)" = "$2" ]; }
check "agent 1 admits node-2 (10 >= min_stake 5) and they link" wait_for 15 linked 1 1

# The chain says //Alice's stake fell to 1 TAO: node-2 is below min_stake on node 1.
subnet_with_alice_stake 1000000000
fell() { [ "$(stake_of_node2)" = "1 chain" ]; }
check "the new stake reaches node 1 within a sync interval" wait_for 10 fell
check "agent 1 closes its link to node-2" wait_for 10 linked 1 0
check "...saying why" grep -q "closing the link to node-2: no longer an admitted node" "$log1"
sleep 2
check "...and keeps refusing it while it redials" linked 1 0
subnet_with_alice_stake 10000000000
check "once the chain says 10 TAO again, node-2 is admitted again" wait_for 20 linked 1 1

# The CLI: the metagraph as the chain serves it, and a binding made from a Bittensor wallet
# (//Bob's hotkey file: the reader checks its publicKey against secretSeed with our sr25519;
# the database verifies our signature).
metagraph=$("$build/cli/mycelium" chain metagraph --url "http://127.0.0.1:$chain_port" --netuid 1 --json)
check "mycelium chain metagraph --json lists //Alice as uid 0 with 10 TAO" \
  /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); n=d['nodes'][0]; sys.exit(not (d['netuid'] == 1 and n['hotkey'] == sys.argv[2] and n['node_id'] == 0 and n['stake'] == 10 and n['ip'] == '10.0.0.1'))" "$metagraph" "$alice"
wallets="$MYCELIUM_MN_DIR/wallets"
mkdir -p "$wallets/bob/hotkeys"
(umask 077 && cat >"$wallets/bob/hotkeys/default" <<JSON
{"accountId": "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
 "publicKey": "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
 "secretSeed": "0x398f0c28f98885e046333d4a41c19cee4c37368a9832c6502f6cfd182e2aef89",
 "secretPhrase": null, "ss58Address": "$bob"}
JSON
)
bind_out=$("$build/cli/mycelium" chain bind-hotkey --node-id node-1 --wallet-path "$wallets" --wallet bob \
  --dsn "host=127.0.0.1 port=${pg[1]} user=postgres dbname=mycelium" 2>&1)
check "mycelium chain bind-hotkey binds node-1 to the //Bob wallet's hotkey" \
  test "$bind_out" = "bound node node-1 to hotkey $bob"
check "...which the database verified and stored" \
  test "$(sql 1 "SELECT hotkey FROM mycelium.node_hotkeys WHERE node_id = 'node-1'")" = "$bob"
chmod 644 "$wallets/bob/hotkeys/default"
bind_out=$("$build/cli/mycelium" chain bind-hotkey --node-id node-1 --wallet-path "$wallets" --wallet bob \
  --dsn "host=127.0.0.1 port=${pg[1]} user=postgres dbname=mycelium" 2>&1)
check "...and refuses a hotkey file others can read" grep -q "chmod 600" <<<"$bind_out"

# Weights: //Alice's wallet signs SubtensorModule.set_weights; polkadot-js decodes what the
# chain received and checks the signature. With commit-reveal on, nothing is submitted.
mkdir -p "$wallets/alice/hotkeys"
(umask 077 && cat >"$wallets/alice/hotkeys/default" <<JSON
{"accountId": "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
 "publicKey": "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
 "secretSeed": "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
 "secretPhrase": null, "ss58Address": "$alice"}
JSON
)
fake "next-index $alice 3" >/dev/null
weights_out=$("$build/cli/mycelium" chain set-weights --url "ws://127.0.0.1:$chain_port" --netuid 1 \
  --uids 0,1,2 --weights 1,0.5,0 --wallet-path "$wallets" --wallet alice 2>&1)
check "mycelium chain set-weights submits //Alice's weights" \
  grep -q "set weights of 2 uids on subnet 1 as $alice: extrinsic 0x[0-9a-f]* in block 0x[0-9a-f]* (nonce 3" <<<"$weights_out"
decoded=$(fake_ask decode-submitted)
check "...which polkadot-js decodes as set_weights with Fiber's quantised weights, signed by //Alice" \
  /usr/bin/python3 -c "
import json, sys
d = json.loads(sys.argv[1].split(' ', 1)[1])[-1]
a = d['args']
ok = (d['section'] == 'subtensorModule' and d['method'] == 'setWeights' and d['signatureValid']
      and d['signer'] == sys.argv[2] and d['nonce'] == 3 and int(a['netuid']) == 1
      and [int(x) for x in a['dests']] == [0, 1] and [int(x) for x in a['weights']] == [65535, 32768])
sys.exit(0 if ok else print(d) or 1)" "$decoded" "$alice"
fake "storage subtensorModule.commitRevealWeightsEnabled [1] true" >/dev/null
weights_out=$("$build/cli/mycelium" chain set-weights --url "ws://127.0.0.1:$chain_port" --netuid 1 \
  --uids 0 --weights 1 --wallet-path "$wallets" --wallet alice 2>&1)
status=$?
check "with commit-reveal on, set-weights is refused (status $status), saying so" \
  bash -c "[ $status = 1 ] && grep -q 'commit-reveal is enabled on subnet 1' <<<\"\$1\"" _ "$weights_out"
after_refusal=$(fake_ask decode-submitted)
check "...and nothing more was submitted" \
  test "$(/usr/bin/python3 -c "import json,sys; print(len(json.loads(sys.argv[1].split(' ', 1)[1])))" "$after_refusal")" = 1

# The chain stops answering: the last metagraph stays; one line, and one when it is back.
fake hang on
sleep 5
check "a chain that does not answer is logged once" \
  test "$(grep -c 'cannot read subnet 1 from the chain' "$log1")" = 1
check "...and the last metagraph stays stored" test "$(stake_of_node2)" = "10 chain"
outage_status=$(chain_status)
echo "     /status chain: $outage_status"
check "...and /status says why the chain cannot be read, since when and how often" \
  grep -Eq '"problem": "cannot read subnet 1 from the chain: .+ \(since [0-9T:.-]+Z, [0-9]+ failed reads?\)"' <<<"$outage_status"
check "...still naming the stored metagraph's block" \
  test "$(json "d['block']" <<<"$outage_status")" = "$(stored_block)"
fake hang off
answers_again() { grep -q "the chain answers again after [0-9]* failed read" "$log1"; }
check "...and its return is logged" wait_for 10 answers_again
no_problem() { [ "$(chain_status | json "d['problem']")" = None ]; }
check "...and /status's chain problem is null again" wait_for 5 no_problem

# A login without mycelium_chain cannot run the chain: section: refused at start-up, with the
# GRANT that fixes it.
kill -TERM "${agent_pids[1]}"
wait "${agent_pids[1]}" 2>/dev/null
sql 1 "REVOKE mycelium_chain FROM mycelium_agent" >/dev/null
timeout 30 "$build/agent/mycelium-agent" --config "$MYCELIUM_MN_DIR/agent1.yaml" >"$MYCELIUM_MN_DIR/agent1-nochain.log" 2>&1
status=$?
check "without mycelium_chain the agent exits nonzero (status $status)" test "$status" -ne 0 -a "$status" -ne 124
check "...naming the privilege and the GRANT to run" grep -q \
  "EXECUTE on mycelium.store_metagraph (role mycelium_chain, for the chain: section); run GRANT mycelium_replicator, mycelium_miner, mycelium_chain TO mycelium_agent;" \
  "$MYCELIUM_MN_DIR/agent1-nochain.log"

check "SIGTERM stops the agents" agent_stop_all
fake stop
echo "agent-chain: $passed passed, $failed failed"
[ "$failed" = 0 ]
