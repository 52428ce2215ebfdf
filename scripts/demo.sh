#!/usr/bin/env bash
# `make demo`: a whole Mycelium network on this machine, told as a story. Three throwaway
# PostgreSQL 15 servers on loopback ports, each with the mycelium extension preloaded: node 1 and
# node 2 are validators' databases, node 3 a miner's. The nodes get keys and register each other
# (signed registrations), the operator gives them logins for their clients and for each other,
# node-1 writes signed data with the mycelium CLI and its push worker pushes the writes to
# replicas on nodes 2 and 3; the miner reads a shard it does not hold through postgres_fdw; the
# databases refuse forged writes, writes to a replica and miners' writes; the audit chain is the
# same on every node. Then a mycelium-agent starts beside each node: the agents authenticate
# each other (/status, the peers each database recorded, /metrics) and, with node 1's push worker
# paused, carry one more write to nodes 2 and 3 themselves; SIGTERM stops them. Exits nonzero as
# soon as something does not behave as shown (a refused write that succeeds, a record missing on
# a replica, an agent without its peers). The agents are killed, the servers stopped and their
# temporary directory removed on exit, whatever the outcome (logs are shown on failure).
#   MYCELIUM_CLI=path/to/mycelium scripts/demo.sh   another build of the CLI
#   MYCELIUM_AGENT=path/to/mycelium-agent           another build of the agent
#   MYCELIUM_DEMO_BASE_PORT=28000                   the first port tried (default 28000)
# Run as root (the servers run as postgres, as initdb requires) or as postgres.
set -euo pipefail
cd "$(dirname "$0")/.."

CLI=${MYCELIUM_CLI:-$PWD/build/cli/mycelium}
AGENT=${MYCELIUM_AGENT:-$PWD/build/agent/mycelium-agent}
for bin in "$CLI" "$AGENT"; do
  if [ ! -x "$bin" ]; then
    echo "demo: $bin not found; build it first (make build)" >&2
    exit 1
  fi
done
# How a node is laid out, started and stopped: the multi-node harness's functions (mn_start,
# mn_stop, mn_datadir, mn_logfile, mn_as_postgres), on $MYCELIUM_MN_DIR.
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
[ -x "$MN_PG_BINDIR/initdb" ] || { echo "demo: PostgreSQL 15 server not found in $MN_PG_BINDIR" >&2; exit 1; }
PSQL=$MN_PG_BINDIR/psql
base_port=${MYCELIUM_DEMO_BASE_PORT:-28000}
started=$(date +%s%N)

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-demo.XXXXXX)
export MYCELIUM_MN_DIR
keys=$MYCELIUM_MN_DIR/keys
agents=$MYCELIUM_MN_DIR/agents # the agents' configurations, pgpass file and logs
agent_pid=()                   # agent_pid[i]: node i's agent, while it runs

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? i log
  trap - EXIT INT TERM
  set +e
  [ -z "${progress_open:-}" ] || echo # a progress line cut short
  # Agents first (still running only if the demo failed before stopping them).
  for i in "${!agent_pid[@]}"; do kill -KILL "${agent_pid[i]}" 2>/dev/null; done
  for i in "${!agent_pid[@]}"; do wait "${agent_pid[i]}" 2>/dev/null; done
  for i in 1 2 3; do
    [ -f "$(mn_datadir "$i")/postmaster.pid" ] && { mn_stop "$i" immediate >/dev/null 2>&1 & }
  done
  wait
  if [ "$rc" -ne 0 ]; then
    for i in 1 2 3; do
      for log in "$MYCELIUM_MN_DIR/node$i.initdb.log" "$(mn_logfile "$i")" "$agents/node-$i.log"; do
        [ -s "$log" ] || continue
        echo "--- tail of $(basename "$log") ---" >&2
        tail -n 15 "$log" >&2
      done
    done
    echo "demo: FAILED (exit $rc)" >&2
  fi
  rm -rf "$MYCELIUM_MN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Commands are echoed on fd 3, so that they show even when their output is captured.
exec 3>&1

step_no=0
step() {
  step_no=$((step_no + 1))
  printf '\n== %d. %s\n' "$step_no" "$*"
}
note() { printf '   %s\n' "$*"; }
# Progress of a step that takes seconds, on one line: progress TEXT... then progress_done.
progress_open=
progress_t0=0
progress() {
  [ -n "$progress_open" ] || { printf '   '; progress_t0=$(date +%s%N); }
  printf '%s' "$*"
  progress_open=yes
}
progress_done() {
  local tenths=$((($(date +%s%N) - progress_t0) / 100000000))
  printf ' ... done (%d.%d s)\n' $((tenths / 10)) $((tenths % 10))
  progress_open=
}
fail() {
  [ -z "$progress_open" ] || echo # end the progress line first
  echo "demo: FAILED: $*" >&2
  exit 1
}
# expect WHAT EXPECTED ACTUAL
expect() {
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
password() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }

# Connection strings. The operator is the servers' superuser on each node's Unix socket (local
# connections are trusted); everyone else logs in over TCP with a password (scram-sha-256).
declare -A DSN PW
port=() # port[i]: node i's PostgreSQL port
node_dsn() { echo "host=$MYCELIUM_MN_DIR/sock port=${port[$1]} dbname=mycelium user=postgres"; }
login_dsn() { echo "host=127.0.0.1 port=${port[$2]} dbname=mycelium user=$1 password=${PW[$1]}"; }
# Shown names of the connection strings, for commands as a user types them.
dsn_names=()

# show PROMPT TEXT: a statement as typed at a psql prompt; continuation lines keep their
# indentation relative to each other, under the first line.
show() {
  printf '%s\n' "$2" | awk -v prompt="$1" '
    { line[NR] = $0 }
    NR > 1 && match($0, /[^ ]/) && (min == "" || RSTART - 1 < min) { min = RSTART - 1 }
    END {
      pad = sprintf("%*s", length(prompt) + 2, "")
      sub(/^ +/, "", line[1])
      print prompt line[1]
      for (i = 2; i <= NR; i++) print pad substr(line[i], min + 1)
    }' >&3
}
# psql_to DSN ARGS...: errors carry their SQLSTATE (VERBOSITY verbose).
psql_to() {
  local dsn=$1
  shift
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -P pager=off -d "$dsn" "$@"
}
# on N SQL [SHOWN]: the operator runs SQL on node N (SHOWN is displayed instead, e.g. without
# passwords). on_quiet: the same without the result (for functions returning void).
on() {
  show "node$1=# " "${3:-$2}"
  psql_to "$(node_dsn "$1")" -c "$2"
}
on_quiet() { on "$@" >/dev/null; }
# as ROLE N SQL: the login ROLE runs SQL on node N.
as() {
  show "$1@node$2=> " "$3"
  psql_to "$(login_dsn "$1" "$2")" -c "$3"
}
# value N SQL: one value from node N, not shown (for the demo's own checks).
value() { psql_to "$(node_dsn "$1")" -A -t -c "$2"; }

# Shows a CLI command as a user would type it (key files by name, DSNs by name), then runs it.
cli() {
  local shown=() arg name
  for arg in "$@"; do
    for name in "${dsn_names[@]}"; do
      arg=${arg//"${DSN[$name]}"/\$$name}
    done
    arg=${arg//"$keys/"/}
    [[ $arg == *[\ \"\{]* ]] && arg="'$arg'"
    shown+=("$arg")
  done
  echo "\$ mycelium ${shown[*]}" >&3
  "$CLI" "$@"
}

# refused SQLSTATE CMD...: CMD must fail, and its error must carry SQLSTATE; shows the error.
refused() {
  local code=$1 status=0 out
  shift
  out=$("$@" 2>&1) || status=$?
  [ "$status" -ne 0 ] || fail "this write should have been refused (${code}) but was accepted: $out"
  grep -q -- "$code" <<<"$out" || fail "expected a refusal with ${code}, got: $out"
  # psql's verbose errors carry a LOCATION line; the message is what matters here.
  grep -v '^LOCATION:' <<<"$out" | sed 's/^/   => /'
}


########################################################################################
step "Three throwaway PostgreSQL servers: node 1 and node 2 for validators, node 3 for a miner"
note "each: initdb (as postgres; the operator on the Unix socket, every other login by password),"
note "then pg_ctl start with shared_preload_libraries=mycelium (its push worker serves database"
note "mycelium: -c mycelium.database=mycelium) and mycelium.push_interval = 200ms"
chown postgres: "$MYCELIUM_MN_DIR" 2>/dev/null || [ "$(id -un)" = postgres ] ||
  fail "cannot give $MYCELIUM_MN_DIR to postgres"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
mkdir -m 700 "$keys"
progress "initdb of the three clusters (in parallel)"
pids=()
for i in 1 2 3; do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --no-sync --encoding=UTF8 --locale=C.UTF-8 \
    >"$MYCELIUM_MN_DIR/node$i.initdb.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  wait "${pids[i - 1]}" || fail "initdb of node $i failed"
  rm -f "$MYCELIUM_MN_DIR/node$i.initdb.log"
  echo "mycelium.push_interval = '200ms'" >>"$(mn_datadir "$i")/postgresql.conf"
done
progress_done
progress "starting the servers:"
p=$base_port
for i in 1 2 3; do
  progress " node $i"
  for attempt in 1 2 3 4 5; do
    p=$(mn_free_port "$p") || fail "no free port from $base_port on"
    mn_start "$i" "$p" && break
    grep -Eq 'could not bind|could not create any TCP/IP sockets|Address already in use' \
      "$(mn_logfile "$i")" 2>/dev/null || fail "node $i did not start"
    p=$((p + 1))
    [ "$attempt" -lt 5 ] || fail "node $i did not start: no usable port"
  done
  port[i]=$p
  p=$((p + 1))
done
progress_done
for i in 1 2 3; do
  DSN[NODE$i]=$(node_dsn "$i")
  dsn_names+=("NODE$i")
done
printf '   %-6s  %-15s  %s\n' node address "node id (type)" \
  1 "127.0.0.1:${port[1]}" "node-1 (validator)" \
  2 "127.0.0.1:${port[2]}" "node-2 (validator)" \
  3 "127.0.0.1:${port[3]}" "node-3 (miner)"
note "the operator's connections: NODE1='${DSN[NODE1]}', NODE2, NODE3 alike"
for i in 1 2 3; do
  psql_to "$(node_dsn "$i" | sed 's/dbname=mycelium/dbname=postgres/')" \
    -c 'CREATE DATABASE mycelium' >/dev/null
  show "node$i=# " "CREATE DATABASE mycelium; CREATE EXTENSION mycelium; CREATE EXTENSION postgres_fdw;"
  psql_to "$(node_dsn "$i")" -c 'CREATE EXTENSION mycelium' -c 'CREATE EXTENSION postgres_fdw'
done
on 1 "SELECT extversion AS catalog_version, mycelium.version() AS library_version
        FROM pg_extension WHERE extname = 'mycelium'"

########################################################################################
step "Each node creates its Ed25519 identity (the secret key never leaves the key file)"
for i in 1 2 3; do
  cli keygen --out "$keys/node-$i.key"
done
note "the database signs its audit entries and replica messages with the same key: a copy it owns"
for i in 1 2 3; do
  show "# " "install -o postgres -g postgres -m 600 $keys/node-$i.key \$PGDATA/mycelium_node.key"
  install -o postgres -g postgres -m 600 "$keys/node-$i.key" "$(mn_datadir "$i")/mycelium_node.key"
  on_quiet "$i" "ALTER SYSTEM SET mycelium.node_key_file = 'mycelium_node.key'"
  on_quiet "$i" "SELECT pg_reload_conf()"
done

########################################################################################
step "Every node learns its own name and registers all three nodes (signed by each node's key)"
note "--port is the node's PostgreSQL port: peers reach it there through postgres_fdw"
type=([1]=validator [2]=validator [3]=miner)
for i in 1 2 3; do
  on_quiet "$i" "SELECT mycelium.set_local_node('node-$i')"
  for j in 1 2 3; do
    cli register-node --key-file "$keys/node-$j.key" --node-id "node-$j" --type "${type[j]}" \
      --ip 127.0.0.1 --port "${port[j]}" --dsn "${DSN[NODE$i]}"
  done
done
on 3 "SELECT node_id, node_type, ip, port, left(public_key, 16) AS public_key, is_active
        FROM mycelium.node_metadata ORDER BY node_id"
nodes_on() { value "$1" "SELECT string_agg(node_id || ':' || node_type || ':' || port || ':' || is_active, ' '
                                  ORDER BY node_id) FROM mycelium.node_metadata"; }
expected_nodes="node-1:validator:${port[1]}:true node-2:validator:${port[2]}:true node-3:miner:${port[3]}:true"
for i in 1 2 3; do
  expect "the nodes registered on node $i" "$expected_nodes" "$(nodes_on "$i")"
  expect "local_node of node $i" "node-$i" "$(value "$i" 'SELECT node_id FROM mycelium.local_node')"
done

########################################################################################
step "Logins: each node's own client, one push login per peer (pushing replicas), one for reading"
client=([1]=validator_1 [2]=validator_2 [3]=miner_3)
group=([1]=mycelium_validator [2]=mycelium_validator [3]=mycelium_miner)
for i in 1 2 3; do
  PW[${client[i]}]=$(password)
  PW[read$i]=$(password)
  for j in 1 2 3; do PW[sync${j}at$i]=$(password); done
done
for i in 1 2 3; do
  on_quiet "$i" "CREATE ROLE ${client[i]} LOGIN PASSWORD '${PW[${client[i]}]}' IN ROLE ${group[i]}" \
    "CREATE ROLE ${client[i]} LOGIN PASSWORD '…' IN ROLE ${group[i]}"
  # One push login per peer that pushes here: each can be revoked without the others.
  for j in 1 2 3; do
    [ "$j" -ne "$i" ] || continue
    on_quiet "$i" "CREATE ROLE sync_node_$j LOGIN PASSWORD '${PW[sync${j}at$i]}' IN ROLE mycelium_replicator" \
      "CREATE ROLE sync_node_$j LOGIN PASSWORD '…' IN ROLE mycelium_replicator"
  done
  on_quiet "$i" "CREATE ROLE mycelium_reader LOGIN PASSWORD '${PW[read$i]}' IN ROLE mycelium_miner" \
    "CREATE ROLE mycelium_reader LOGIN PASSWORD '…' IN ROLE mycelium_miner"
  # How this node logs in to the other two: the push login each made for it, and their reader.
  values=() shown=()
  for j in 1 2 3; do
    [ "$j" -ne "$i" ] || continue
    values+=("('node-$j', 'push', 'sync_node_$i', '${PW[sync${i}at$j]}'), ('node-$j', 'read', 'mycelium_reader', '${PW[read$j]}')")
    shown+=("('node-$j', 'push', 'sync_node_$i', '…'), ('node-$j', 'read', 'mycelium_reader', '…')")
  done
  sql="SELECT mycelium.set_peer_credentials(node, purpose, login, password)
         FROM (VALUES %s,
                      %s)
              AS peer(node, purpose, login, password)"
  # shellcheck disable=SC2059
  on_quiet "$i" "$(printf "$sql" "${values[@]}")" "$(printf "$sql" "${shown[@]}")"
done
on 1 "SELECT node_id, purpose, username FROM mycelium.peer_credentials ORDER BY 1, 2"
for i in 1 2 3; do
  DSN[${client[i]^^}]=$(login_dsn "${client[i]}" "$i")
  dsn_names+=("${client[i]^^}")
done
note "VALIDATOR_1='host=127.0.0.1 port=${port[1]} dbname=mycelium user=validator_1 password=...' (node 1)"
note "VALIDATOR_2 (node 2) and MINER_3 (node 3) alike"

########################################################################################
step "Node 1 creates two shards; create_shard(replicas => n) picks the replica nodes itself"
show "node1=# " "SELECT mycelium.create_shard('users', replicas => 2)"
users_shard=$(value 1 "SELECT mycelium.create_shard('users', replicas => 2)")
echo "$users_shard"
expect "create_shard('users')" users "$users_shard"
show "node1=# " "SELECT mycelium.create_shard(replicas => 1)"
other_shard=$(value 1 "SELECT mycelium.create_shard(replicas => 1)")
echo "$other_shard"
[[ $other_shard =~ ^shard_[0-9a-f]{16}$ ]] || expect "create_shard()" "shard_<16 hex digits>" "$other_shard"
note "active peers with push credentials, fewest replicas first, then by node id: 'users' goes"
note "to node-2 and node-3, the second shard to node-2 (node 3 does not hold it)"
on 1 "SELECT shard_id, node_id, status FROM mycelium.replicas ORDER BY shard_id DESC, node_id"
expect "the replicas of users" "node-2 node-3" \
  "$(value 1 "SELECT string_agg(node_id, ' ' ORDER BY node_id) FROM mycelium.replicas WHERE shard_id = 'users'")"
expect "the replicas of $other_shard" "node-2" \
  "$(value 1 "SELECT string_agg(node_id, ' ' ORDER BY node_id) FROM mycelium.replicas WHERE shard_id = '$other_shard'")"

########################################################################################
step "node-1 writes signed data with the CLI, logged in to node 1 as validator_1"
v1=(--key-file "$keys/node-1.key" --node-id node-1 --dsn "${DSN[VALIDATOR_1]}")
cli put "${v1[@]}" --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
cli put "${v1[@]}" --shard users --key bob --value '{"name": "Bob", "plan": "pro"}'
cli put "${v1[@]}" --shard users --key carol --value '{"name": "Carol", "plan": "free"}'
cli put "${v1[@]}" --shard "$other_shard" --key counter --value 42
note "an update is the key's next version:"
out=$(cli put "${v1[@]}" --shard users --key alice --value '{"name": "Alice", "plan": "pro"}')
echo "$out"
expect "the update of users/alice" "put users/alice version 2" "$out"
note "a delete too (it leaves a signed tombstone, so old versions cannot come back):"
cli delete "${v1[@]}" --shard users --key carol
out=$(cli get --shard users --key alice --dsn "${DSN[VALIDATOR_1]}")
echo "$out"
expect "users/alice" '{"name": "Alice", "plan": "pro"}' "$out"
on 1 "SELECT shard_id, key, value, version, created_by FROM mycelium.data ORDER BY shard_id DESC, key"

########################################################################################
step "The writes reach nodes 2 and 3: node 1's push worker pushes them to the replicas"
t0=$(date +%s%N)
synced=
for _ in $(seq 1 200); do
  synced=$(value 1 "SELECT count(*) = 3 AND bool_and(status = 'active' AND lag_changes = 0)
                      FROM mycelium.push_status")
  [ "$synced" = t ] && break
  sleep 0.1
done
[ "$synced" = t ] || {
  value 1 "SELECT * FROM mycelium.push_status" >&2
  fail "the push worker did not push every change within 20 s"
}
tenths=$((($(date +%s%N) - t0) / 100000000))
note "(every replica caught up after $((tenths / 10)).$((tenths % 10)) s; SELECT mycelium.push_now() pushes at once)"
on 1 "SELECT shard_id, node_id, status, last_pushed_seq, lag_changes, last_error
        FROM mycelium.push_status ORDER BY shard_id DESC, node_id"
on 1 "SELECT shard_id, health, wanted_replicas, active_replicas, max_lag_changes
        FROM mycelium.shard_health ORDER BY shard_id DESC"
on 1 "SELECT r.shard_id, r.node_id, v.local_records, v.remote_records, v.local_head, v.remote_head, v.match
        FROM mycelium.replicas r, LATERAL mycelium.verify_replica(r.shard_id, r.node_id) v
       ORDER BY r.shard_id DESC, r.node_id"
expect "shard_health" "healthy healthy" \
  "$(value 1 "SELECT string_agg(health, ' ') FROM mycelium.shard_health")"
expect "verify_replica on every replica" "3 true" \
  "$(value 1 "SELECT count(*) || ' ' || bool_and(v.match)
                FROM mycelium.replicas r, LATERAL mycelium.verify_replica(r.shard_id, r.node_id) v")"
as validator_2 2 "SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'users' ORDER BY key"
as miner_3 3 "SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'users' ORDER BY key"
# The same records (keys, versions, signatures) on every node that holds the shard.
records() {
  value "$1" "SELECT count(*) || ' ' || coalesce(string_agg(key || ':' || version || ':' || signature, ','
                                                            ORDER BY key), '')
                FROM mycelium.data WHERE shard_id = '$2'"
}
users_on_1=$(records 1 users)
expect "the records of users on node 1" "alice:2 bob:1" \
  "$(value 1 "SELECT string_agg(key || ':' || version, ' ' ORDER BY key) FROM mycelium.data WHERE shard_id = 'users'")"
expect "the records of users on node 2" "$users_on_1" "$(records 2 users)"
expect "the records of users on node 3" "$users_on_1" "$(records 3 users)"
expect "the records of $other_shard on node 2" "$(records 1 "$other_shard")" "$(records 2 "$other_shard")"
expect "carol's tombstone on node 3" "users:carol:2" \
  "$(value 3 "SELECT shard_id || ':' || key || ':' || version FROM mycelium.tombstones")"

########################################################################################
step "A replica is read-only: node 2 holds 'users' as a replica, written on node 1 only"
on 2 "SELECT shard_id, kind, primary_node, head_seq FROM mycelium.shards ORDER BY shard_id DESC"
note "validator-2 signs a write of users/alice with its own key, on its own node:"
refused MC012 cli put --key-file "$keys/node-2.key" --node-id node-2 --dsn "${DSN[VALIDATOR_2]}" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
note "not even a delete signed by node-1, the shard's own writer, sent to node 2:"
refused MC012 cli delete --key-file "$keys/node-1.key" --node-id node-1 --dsn "${DSN[VALIDATOR_2]}" \
  --shard users --key bob
expect "the records of users on node 2 after the refused writes" "$users_on_1" "$(records 2 users)"

########################################################################################
step "Forged writes are refused by the database itself (node 1, the primary)"
note "tampering with a stored record: a new value and version, keeping bob's real signature"
refused MC001 as validator_1 1 \
  "UPDATE mycelium.data SET value = '{\"name\": \"Bob\", \"plan\": \"enterprise\"}', version = version + 1
    WHERE shard_id = 'users' AND key = 'bob'"
note "a plain INSERT of a new record reusing that signature (made over bob's value)"
refused MC001 as validator_1 1 \
  "INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
   SELECT 'users', 'mallory', '{\"name\": \"Mallory\", \"plan\": \"enterprise\"}', 1, created_by, signature
     FROM mycelium.data WHERE shard_id = 'users' AND key = 'bob'"
note "replaying alice's old signed version 1 over version 2"
refused MC006 as validator_1 1 \
  "UPDATE mycelium.data d SET value = c.value, version = c.version, signature = c.signature
     FROM mycelium.audit_log c
    WHERE d.shard_id = 'users' AND d.key = 'alice'
      AND c.shard_id = 'users' AND c.key = 'alice' AND c.version = 1"
note "a write signed with node-2's key, claimed as node-1"
refused MC001 cli put --key-file "$keys/node-2.key" --node-id node-1 --dsn "${DSN[VALIDATOR_1]}" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'

########################################################################################
step "Miners read but never write (node 3, the miner's database)"
note "the miner's login may not call put at all"
refused 42501 cli put --key-file "$keys/node-3.key" --node-id node-3 --dsn "${DSN[MINER_3]}" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
note "nor write the table directly"
refused 42501 as miner_3 3 \
  "INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
   VALUES ('users', 'dave', '{\"name\": \"Dave\"}', 1, 'node-3', repeat('0', 128))"
note "and even through a validator's login (on node 1), a miner's signature does not make a write"
refused MC004 cli put --key-file "$keys/node-3.key" --node-id node-3 --dsn "${DSN[VALIDATOR_1]}" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
note "but the miner reads its replica:"
out=$(cli get --shard users --key bob --dsn "${DSN[MINER_3]}")
echo "$out"
expect "users/bob on node 3" '{"name": "Bob", "plan": "pro"}' "$out"

########################################################################################
step "The miner reads a shard it does not hold: attach_remote_shard (postgres_fdw to node 1)"
as miner_3 3 "SELECT count(*) FROM mycelium.data WHERE shard_id = '$other_shard'"
expect "records of $other_shard on node 3 before attaching" 0 \
  "$(value 3 "SELECT count(*) FROM mycelium.data WHERE shard_id = '$other_shard'")"
on_quiet 3 "SELECT mycelium.attach_remote_shard('$other_shard', 'node-1')"
on 3 "SELECT shard_id, kind, primary_node FROM mycelium.shards ORDER BY shard_id DESC"
note "a plain SELECT with shard_id = ... is answered by node 1:"
plan=$(as miner_3 3 "EXPLAIN (COSTS OFF) SELECT key, value FROM mycelium.data WHERE shard_id = '$other_shard'")
printf '%s\n\n' "$plan"
grep -q 'Foreign Scan' <<<"$plan" || fail "the plan of a remote shard's read has no Foreign Scan"
as miner_3 3 "SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = '$other_shard'"
expect "$other_shard/counter read on node 3" "counter:42:1" \
  "$(value 3 "SELECT key || ':' || value || ':' || version FROM mycelium.data WHERE shard_id = '$other_shard'")"
note "and cannot write it"
refused 42501 as miner_3 3 \
  "UPDATE mycelium.data SET value = '43' WHERE shard_id = '$other_shard' AND key = 'counter'"

########################################################################################
step "The audit log: every accepted change, hash-chained per shard, the same chain on every node"
on 1 "SELECT seq, op, key, version, created_by, origin_node, left(encode(entry_hash, 'hex'), 16) AS entry_hash
        FROM mycelium.audit_log WHERE shard_id = 'users' ORDER BY seq"
for i in 1 2 3; do
  on "$i" "SELECT v.valid, v.entries, s.head_seq, left(encode(s.head_hash, 'hex'), 16) AS head_hash
             FROM mycelium.verify_audit('users') v, mycelium.shards s WHERE s.shard_id = 'users'"
done
head_on() {
  value "$1" "SELECT v.valid || ' ' || v.entries || ' ' || encode(s.head_hash, 'hex')
                FROM mycelium.verify_audit('users') v, mycelium.shards s WHERE s.shard_id = 'users'"
}
head_1=$(head_on 1)
expect "verify_audit('users') on node 1 valid with 5 entries" "true 5" "$(cut -d' ' -f1-2 <<<"$head_1")"
expect "the chain of users on node 2" "$head_1" "$(head_on 2)"
expect "the chain of users on node 3" "$head_1" "$(head_on 3)"

########################################################################################
step "A mycelium-agent beside each node: the agents authenticate each other"
note "each agent logs in to its own node as mycelium_agent: mycelium_replicator to deliver synced"
note "entries to the inbox and record its peers, mycelium_miner to read; its password is in a"
note "pgpass file (PGPASSFILE), not in its configuration"
mkdir -m 700 "$agents"
for i in 1 2 3; do
  PW[agent$i]=$(password)
  on_quiet "$i" "CREATE ROLE mycelium_agent LOGIN PASSWORD '${PW[agent$i]}' IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus" \
    "CREATE ROLE mycelium_agent LOGIN PASSWORD '…' IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus"
  echo "127.0.0.1:${port[i]}:mycelium:mycelium_agent:${PW[agent$i]}" >>"$agents/pgpass"
done
chmod 600 "$agents/pgpass"

# Two ports for each agent (peers, HTTP), after the nodes' (one probe for all six).
declare -A agent_port http_port
free=$(mn_free_port $((port[3] + 1)) 6) || fail "no free ports after ${port[3]}"
read -r "agent_port[1]" "http_port[1]" "agent_port[2]" "http_port[2]" "agent_port[3]" "http_port[3]" <<<"${free//$'\n'/ }"
next_port=$((http_port[3] + 1))
# agent_config I PEER...: node I's agent configuration, dialling the agents of nodes PEER... at
# start. The key file is the node's own (the CLI's), relative to the configuration's folder.
agent_config() {
  local i=$1 peer peers=
  shift
  for peer in "$@"; do peers+="${peers:+, }127.0.0.1:${agent_port[$peer]}"; done
  echo "node_id: node-$i"
  echo "node_type: ${type[i]}"
  echo "key_file: ../keys/node-$i.key"
  echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}      # peers connect here"
  echo "http: {address: 127.0.0.1, port: ${http_port[$i]}}        # /health, /status, /metrics"
  echo "database_dsn: host=127.0.0.1 port=${port[i]} dbname=mycelium user=mycelium_agent"
  [ -z "$peers" ] || echo "bootstrap_peers: [$peers]"
  echo "db_sync_interval_ms: 200   # the demo's pace (default 1000)"
  echo "redial_min_ms: 200"
}
# start_agent I PEER...: writes node I's configuration, starts its agent and waits for /health
# (if one of its ports was taken meanwhile: new ports, up to three tries).
start_agent() {
  local i=$1 attempt log=$agents/node-$1.log free
  for attempt in 1 2 3; do
    if [ "$attempt" -gt 1 ]; then
      free=$(mn_free_port "$next_port" 2) || fail "no free ports from $next_port on"
      read -r "agent_port[$i]" "http_port[$i]" <<<"${free//$'\n'/ }"
      next_port=$((http_port[$i] + 1))
    fi
    agent_config "$@" >"$agents/node-$i.yaml"
    echo "\$ PGPASSFILE=agents/pgpass mycelium-agent --config agents/node-$i.yaml &" >&3
    PGPASSFILE=$agents/pgpass "$AGENT" --config "$agents/node-$i.yaml" >>"$log" 2>&1 &
    agent_pid[i]=$!
    for _ in $(seq 1 50); do
      curl -sf -o /dev/null "http://127.0.0.1:${http_port[$i]}/health" && return 0
      kill -0 "${agent_pid[i]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "${agent_pid[i]}" 2>/dev/null && fail "the agent of node $i is not healthy after 5 s"
    wait "${agent_pid[i]}" || true
    unset 'agent_pid[i]'
    grep -Eq 'cannot listen on .*address already in use|cannot listen for peers|cannot serve HTTP' "$log" || fail "the agent of node $i did not start"
  done
  fail "the agent of node $i did not start: no usable port"
}
printf '   %-6s  %-15s  %s\n' node "agent (peers)" "agent (HTTP)" \
  1 "127.0.0.1:${agent_port[1]}" "127.0.0.1:${http_port[1]}" \
  2 "127.0.0.1:${agent_port[2]}" "127.0.0.1:${http_port[2]}" \
  3 "127.0.0.1:${agent_port[3]}" "127.0.0.1:${http_port[3]}"
note "configurations in agents/ beside keys/ (the demo's directory); node 1's agent waits for the"
note "others, node 2's dials node 1's, node 3's dials both:"
agent_config 3 1 2 >"$agents/node-3.yaml"
echo "\$ cat agents/node-3.yaml" >&3
cat "$agents/node-3.yaml"
agents_started=$(value 1 "SELECT now()")
t0=$(date +%s%N)
start_agent 1
start_agent 2 1
start_agent 3 1 2

status_json() { curl -sf "http://127.0.0.1:${http_port[$1]}/status"; }
# json_field JSON KEY: a field of /status's flat, compact JSON object, as written.
json_field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1"; }
peer_count() { json_field "$(status_json "$1")" peer_count; }
counts=
deadline=$((SECONDS + 20))
until [ "$counts" = "2 2 2" ]; do
  [ "$SECONDS" -lt "$deadline" ] ||
    fail "every agent should have 2 authenticated peers within 20 s; peer_count of agents 1, 2, 3: $counts"
  for i in 1 2 3; do
    kill -0 "${agent_pid[i]}" 2>/dev/null || fail "the agent of node $i exited"
  done
  sleep 0.2
  counts="$(peer_count 1) $(peer_count 2) $(peer_count 3)"
done
tenths=$((($(date +%s%N) - t0) / 100000000))
note "(every agent had its 2 authenticated peers $((tenths / 10)).$((tenths % 10)) s after the first one started)"

########################################################################################
step "Each agent's /status (pretty-printed; start_time, serving_rate, memory and cpu left out)"
for i in 1 2 3; do
  echo "\$ curl -s http://127.0.0.1:${http_port[$i]}/status" >&3
  status=$(status_json "$i") || fail "no /status from the agent of node $i"
  python3 -c '
import json, sys
s = json.loads(sys.argv[1])
keep = ("id", "version", "status", "active", "peer_count", "last_sync", "last_heartbeat",
        "sync_progress", "response_latency_ms")
print(json.dumps({k: s.get(k) for k in keep}, indent=2))' "$status"
  expect "/status of node $i (id, status, active, peer_count)" "\"node-$i\" \"serving\" true 2" \
    "$(json_field "$status" id) $(json_field "$status" status) $(json_field "$status" active) $(json_field "$status" peer_count)"
done

########################################################################################
step "Each database recorded the peers its agent authenticated (mycelium.note_peer)"
# The agent records a peer just after its handshake: wait for both on every node.
peers_recorded() {
  value "$1" "SELECT count(*) FROM mycelium.node_metadata
               WHERE protocol_version IS NOT NULL AND last_seen >= '$agents_started'"
}
for i in 1 2 3; do
  for _ in $(seq 1 50); do
    [ "$(peers_recorded "$i")" = 2 ] && break
    sleep 0.1
  done
done
note "protocol_version is set by an agent's handshake only: both peers have it, the node itself not"
note "(last_seen is also set by register-node; the peers' has been refreshed by their handshakes)"
for i in 1 2 3; do
  on "$i" "SELECT node_id, protocol_version, last_seen IS NOT NULL AS seen
             FROM mycelium.node_metadata ORDER BY node_id"
  expect "the node without a handshake recorded on node $i (itself)" "node-$i" \
    "$(value "$i" "SELECT string_agg(node_id, ' ') FROM mycelium.node_metadata
                    WHERE protocol_version IS NULL AND last_seen < '$agents_started'")"
  expect "the peers recorded on node $i since the agents started" 2 "$(peers_recorded "$i")"
done

########################################################################################
step "The agents' /metrics (Prometheus): peers, messages in and out by type, handshake failures"
note "nodes 2 and 3 replicate shards of node 1: every 200 ms their agents ask node 1's (DBSyncReq)"
metrics_pattern='^mycelium_agent_(peers|messages_(in|out)_total|handshake_failures_total)'
for i in 1 3; do
  echo "\$ curl -s http://127.0.0.1:${http_port[$i]}/metrics | grep -E '$metrics_pattern'" >&3
  metrics=$(curl -sf "http://127.0.0.1:${http_port[$i]}/metrics") || fail "no /metrics from the agent of node $i"
  grep -E "$metrics_pattern" <<<"$metrics" || fail "the agent of node $i shows none of these metrics"
  grep -q '^mycelium_agent_handshake_failures_total' <<<"$metrics" ||
    note "(no handshake failed: mycelium_agent_handshake_failures_total has no series yet)"
  expect "mycelium_agent_peers of node $i" 2 "$(awk '$1 == "mycelium_agent_peers" { print $2 }' <<<"$metrics")"
done
grep -q '^mycelium_agent_messages_in_total{type="DBSyncReq"} [1-9]' <<<"$(curl -sf "http://127.0.0.1:${http_port[1]}/metrics")" ||
  fail "node 1's agent has answered no DBSyncReq"

########################################################################################
step "One more write on node 1 reaches nodes 2 and 3 through the agents alone"
note "node 1's push worker (the postgres_fdw push) is paused for an hour, so only the agents' DB"
note "sync can carry the write; node 1's push_status will show the replicas still behind"
on 1 "ALTER SYSTEM SET mycelium.push_interval = '1h'"
on 1 "SELECT pg_reload_conf()"
# The worker runs one round right after it reloads its configuration, then sleeps. Wait until
# every new session sees the new interval and the worker's last round is over 0.5 s old (more
# than twice the old interval): then it sleeps for the hour.
paused=
for _ in $(seq 1 25); do
  paused=$(value 1 "SELECT current_setting('mycelium.push_interval') = '1h' AND state = 'idle'
                           AND now() - query_start > interval '0.5 s'
                      FROM pg_stat_activity WHERE backend_type = 'mycelium push worker'")
  [ "$paused" = t ] && break
  sleep 0.2
done
[ "$paused" = t ] || fail "node 1's push worker did not settle on mycelium.push_interval = 1h"
cli put "${v1[@]}" --shard users --key dave --value '{"name": "Dave", "plan": "free"}'
t0=$(date +%s%N)
deadline=$((SECONDS + 10))
dave_on() { value "$1" "SELECT count(*) FROM mycelium.data WHERE shard_id = 'users' AND key = 'dave'"; }
until [ "$(dave_on 2) $(dave_on 3)" = "1 1" ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "users/dave did not reach nodes 2 and 3 through the agents within 10 s"
  sleep 0.1
done
tenths=$((($(date +%s%N) - t0) / 100000000))
note "(on both after $((tenths / 10)).$((tenths % 10)) s)"
as validator_2 2 "SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'users' AND key = 'dave'"
as miner_3 3 "SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'users' AND key = 'dave'"
note "node 1 itself pushed nothing: its replicas of 'users' still lag by that change"
on 1 "SELECT shard_id, node_id, last_pushed_seq, lag_changes FROM mycelium.push_status
       WHERE shard_id = 'users' ORDER BY node_id"
expect "node 1's lag on the replicas of users (the fdw push is paused)" "1 1" \
  "$(value 1 "SELECT string_agg(lag_changes::text, ' ' ORDER BY node_id) FROM mycelium.push_status WHERE shard_id = 'users'")"
head_1=$(head_on 1)
expect "verify_audit('users') on node 1 valid with 6 entries" "true 6" "$(cut -d' ' -f1-2 <<<"$head_1")"
expect "the chain of users on node 2 (synced by the agents)" "$head_1" "$(head_on 2)"
expect "the chain of users on node 3 (synced by the agents)" "$head_1" "$(head_on 3)"
note "and the audit chain of 'users' is again the same on all three nodes (6 entries)"

########################################################################################
step "SIGTERM stops every agent cleanly"
for i in 1 2 3; do
  echo "\$ kill -TERM ${agent_pid[i]}     # node-$i's agent" >&3
  kill -TERM "${agent_pid[i]}"
done
for i in 1 2 3; do
  for _ in $(seq 1 100); do
    kill -0 "${agent_pid[i]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "${agent_pid[i]}" 2>/dev/null && fail "the agent of node $i still runs 10 s after SIGTERM"
  rc=0
  wait "${agent_pid[i]}" || rc=$?
  unset 'agent_pid[i]'
  note "node-$i's agent exited with status $rc; from its log:"
  grep -E 'received SIGTERM|stopped$' "$agents/node-$i.log" | sed 's/^/     /'
  expect "the exit status of node $i's agent after SIGTERM" 0 "$rc"
  tail -n 1 "$agents/node-$i.log" | grep -q ' stopped$' || fail "the log of node $i's agent does not end with 'stopped'"
done

tenths=$((($(date +%s%N) - started) / 100000000))
printf '\nDemo complete (%d.%d s): three nodes, every signed write on node 1 replicated to nodes 2 and 3,\n' \
  $((tenths / 10)) $((tenths % 10))
printf 'a remote shard read by the miner, every forged, replica or miner write refused; three agents\n'
printf 'authenticated each other and carried a write by themselves, then stopped cleanly.\n'
