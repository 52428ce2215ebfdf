#!/usr/bin/env bash
# `make demo`: a throwaway PostgreSQL cluster (pg_virtualenv) with the mycelium extension, told as
# a story: nodes get keys and register, validators write signed data with the mycelium CLI, and
# the database refuses forged writes and miners' writes. Exits nonzero as soon as something does
# not behave as shown (a refused write that succeeds included).
#   MYCELIUM_CLI=path/to/mycelium scripts/demo.sh   to use another build of the CLI
set -euo pipefail
cd "$(dirname "$0")/.."

CLI=${MYCELIUM_CLI:-$PWD/build/agent/cli/mycelium}
if [ ! -x "$CLI" ]; then
  echo "demo: $CLI not found; build it first (make build)" >&2
  exit 1
fi

# The story runs inside the throwaway cluster: this script calls itself under pg_virtualenv.
if [ "${1:-}" != --inside ]; then
  export MYCELIUM_CLI=$CLI
  exec pg_virtualenv -t bash "$0" --inside
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Commands are echoed on fd 3, so that they show even when their output is captured.
exec 3>&1

step_no=0
step() {
  step_no=$((step_no + 1))
  printf '\n== %d. %s\n' "$step_no" "$*"
}
note() { printf '   %s\n' "$*"; }

# The operator: pg_virtualenv's superuser (PGUSER, PGPASSWORD from the environment).
sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }

# Each node logs in with its own role; the CLI and psql get them as DSNs.
password() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
V1_PASSWORD=$(password)
M1_PASSWORD=$(password)
VALIDATOR_1="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=validator_1 password=$V1_PASSWORD"
MINER_1="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=miner_1 password=$M1_PASSWORD"

# Shows a CLI command as a user would type it (key files by name, DSNs by role), then runs it.
cli() {
  local shown=() arg
  for arg in "$@"; do
    arg=${arg//"$work/"/}
    arg=${arg//"$VALIDATOR_1"/\$VALIDATOR_1}
    arg=${arg//"$MINER_1"/\$MINER_1}
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
  if [ "$status" -eq 0 ]; then
    echo "demo: FAILED: this write should have been refused (${code}) but was accepted:" >&2
    echo "$out" >&2
    exit 1
  fi
  if ! grep -q -- "$code" <<<"$out"; then
    echo "demo: FAILED: expected a refusal with ${code}, got:" >&2
    echo "$out" >&2
    exit 1
  fi
  # psql's verbose errors carry a LOCATION line; the message is what matters here.
  grep -v '^LOCATION:' <<<"$out" | sed 's/^/   => /'
}

# sql_as ROLE SQL: psql logged in as a node's role, the statement shown first and the SQLSTATE
# shown in error messages.
sql_as() {
  local dsn
  case $1 in
  validator_1) dsn=$VALIDATOR_1 ;;
  miner_1) dsn=$MINER_1 ;;
  esac
  echo "$1=> $2" | sed '2,$s/^/    /' >&3
  psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -P pager=off "$dsn" -c "$2"
}

# expect WHAT EXPECTED ACTUAL
expect() {
  if [ "$2" != "$3" ]; then
    echo "demo: FAILED: $1: expected '$2', got '$3'" >&2
    exit 1
  fi
}

step "Install the extension"
sql <<'SQL'
CREATE EXTENSION mycelium;
SELECT extversion AS catalog_version, mycelium.version() AS library_version
  FROM pg_extension WHERE extname = 'mycelium';
SQL

step "Each node creates its Ed25519 identity (the secret key never leaves the key file)"
for node in v1 v2 miner; do
  cli keygen --out "$work/$node.key"
done

step "The operator registers the nodes (each registration is signed by the node's own key)"
cli register-node --key-file "$work/v1.key" --node-id validator-1 --type validator \
  --ip 127.0.0.1 --port 7001
cli register-node --key-file "$work/v2.key" --node-id validator-2 --type validator \
  --ip 127.0.0.1 --port 7002
cli register-node --key-file "$work/miner.key" --node-id miner-1 --type miner \
  --ip 127.0.0.1 --port 7003
sql -c 'SELECT node_id, node_type, ip, port, left(public_key, 16) AS public_key, is_active
          FROM mycelium.node_metadata ORDER BY node_id'

step "The operator gives the nodes database logins: validator_1 writes, miner_1 only reads"
sql -v v1pw="$V1_PASSWORD" -v m1pw="$M1_PASSWORD" <<'SQL'
CREATE ROLE validator_1 LOGIN PASSWORD :'v1pw' IN ROLE mycelium_validator;
CREATE ROLE miner_1 LOGIN PASSWORD :'m1pw' IN ROLE mycelium_miner;
SELECT r.rolname AS login, g.rolname AS member_of
  FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
 WHERE r.rolname IN ('validator_1', 'miner_1') ORDER BY 1;
SQL
note "VALIDATOR_1='host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=validator_1 password=...'"
note "MINER_1='host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=miner_1 password=...'"

step "Two shards: 'users', and one whose id the database generates"
users_shard=$(sql -A -t -c "SELECT mycelium.create_shard('users')")
echo "mycelium.create_shard('users') -> $users_shard"
expect "create_shard('users')" users "$users_shard"
other_shard=$(sql -A -t -c "SELECT mycelium.create_shard()")
echo "mycelium.create_shard()        -> $other_shard"
[[ $other_shard =~ ^shard_[0-9a-f]{16}$ ]] || expect "create_shard()" "shard_<16 hex digits>" "$other_shard"
sql -c 'SELECT shard_id, partition, replicas, head_seq FROM mycelium.shards ORDER BY created_at'

step "validator-1 writes signed data with the CLI, logged in as validator_1"
v1=(--key-file "$work/v1.key" --node-id validator-1 --dsn "$VALIDATOR_1")
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
note "anyone allowed to read gets the current value:"
out=$(cli get --shard users --key alice --dsn "$VALIDATOR_1")
echo "$out"
expect "users/alice" '{"name": "Alice", "plan": "pro"}' "$out"
sql -c 'SELECT shard_id, key, value, version, created_by FROM mycelium.data ORDER BY shard_id, key'

step "Forged writes are refused by the database itself"
note "tampering with a stored record: a new value and version, keeping bob's real signature"
refused MC001 sql_as validator_1 \
  "UPDATE mycelium.data SET value = '{\"name\": \"Bob\", \"plan\": \"enterprise\"}', version = version + 1
    WHERE shard_id = 'users' AND key = 'bob'"
note "a plain INSERT of a new record reusing that signature (made over bob's value)"
refused MC001 sql_as validator_1 \
  "INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
   SELECT 'users', 'mallory', '{\"name\": \"Mallory\", \"plan\": \"enterprise\"}', 1, created_by, signature
     FROM mycelium.data WHERE shard_id = 'users' AND key = 'bob'"
note "replaying alice's old signed version 1 over version 2"
refused MC006 sql_as validator_1 \
  "UPDATE mycelium.data d SET value = c.value, version = c.version, signature = c.signature
     FROM mycelium.sync_changes c
    WHERE d.shard_id = 'users' AND d.key = 'alice'
      AND c.shard_id = 'users' AND c.key = 'alice' AND c.version = 1"
note "a write signed with validator-2's key, claimed as validator-1"
refused MC001 cli put --key-file "$work/v2.key" --node-id validator-1 --dsn "$VALIDATOR_1" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'

step "Miners read but never write"
note "the miner's login may not call put at all"
refused 42501 cli put --key-file "$work/miner.key" --node-id miner-1 --dsn "$MINER_1" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
note "nor write the table directly"
refused 42501 sql_as miner_1 \
  "INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
   VALUES ('users', 'dave', '{\"name\": \"Dave\"}', 1, 'miner-1', repeat('0', 128))"
note "and even through a validator's login, a miner's signature does not make a write"
refused MC004 cli put --key-file "$work/miner.key" --node-id miner-1 --dsn "$VALIDATOR_1" \
  --shard users --key alice --value '{"name": "Alice", "plan": "free"}'
note "but miner_1 reads everything:"
sql_as miner_1 "SELECT current_user, shard_id, key, value, version FROM mycelium.data
                       WHERE shard_id = 'users' ORDER BY key"
cli get --shard users --key bob --dsn "$MINER_1"

step "The audit log: every accepted change, hash-chained per shard, checked by the database"
sql -c "SELECT * FROM mycelium.verify_audit('users')"
valid=$(psql -X -A -t -c "SELECT valid AND entries = 5 FROM mycelium.verify_audit('users')")
expect "verify_audit('users') valid with 5 entries" t "$valid"
sql -c "SELECT seq, op, key, version, created_by, left(encode(entry_hash, 'hex'), 16) AS entry_hash
          FROM mycelium.sync_changes WHERE shard_id = 'users' ORDER BY seq"

printf '\nDemo complete: every signed write was accepted, every forged or miner write refused.\n'
