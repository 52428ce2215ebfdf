#!/usr/bin/env bash
# The mycelium CLI against a real PostgreSQL with the installed extension: keys, registration,
# signed puts and deletes through the verifying triggers, the database's refusals as the CLI
# reports them, and the audit chain afterwards. Every check prints "ok" or "FAIL" with what was
# expected; the run ends with "cli roundtrip: N passed, M failed" and exits nonzero on a failure.
#
#   tests/integration/cli_roundtrip.sh                       starts its own pg_virtualenv
#   pg_virtualenv bash tests/integration/cli_roundtrip.sh    the same, in a cluster you made
#   MYCELIUM_USE_EXISTING=1 tests/integration/cli_roundtrip.sh   the cluster in PGHOST/PGPORT
#                                                             (needs a superuser)
#   MYCELIUM_CLI=path/to/mycelium ...                        another build of the CLI
#
# It works in a database of its own (created and dropped here) and drops the login roles it
# creates, so that it leaves an existing cluster as it found it.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLI=${MYCELIUM_CLI:-$PWD/build/cli/mycelium}
if [ ! -x "$CLI" ]; then
  echo "cli roundtrip: $CLI not found; build it first (make build)" >&2
  exit 1
fi

# pg_virtualenv exports PGVERSION and PGPORT along with PGHOST. -t keeps its cluster in a temporary
# directory even as root, so that it does not clash with another 15/regress cluster in /etc.
if [ -z "${MYCELIUM_USE_EXISTING:-}" ] &&
  ! { [ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] && [ -n "${PGVERSION:-}" ]; }; then
  export MYCELIUM_CLI=$CLI
  # The server signs its audit entries with a node key: one made by the CLI's own keygen, in a
  # directory the server's user owns (removed by cleanup below).
  MYCELIUM_CLI_KEYDIR=$(mktemp -d /tmp/mycelium-cli-key.XXXXXX)
  export MYCELIUM_CLI_KEYDIR
  "$CLI" keygen --out "$MYCELIUM_CLI_KEYDIR/node.key" >/dev/null
  chown -R postgres: "$MYCELIUM_CLI_KEYDIR"
  exec pg_virtualenv -t -o "mycelium.node_key_file=$MYCELIUM_CLI_KEYDIR/node.key" bash "$0" "$@"
fi

work=$(mktemp -d)
db=mycelium_cli_roundtrip_$$
v_role=cli_roundtrip_validator_$$
m_role=cli_roundtrip_miner_$$
admin_db=${PGDATABASE:-postgres}

cleanup() {
  set +e
  [ -n "${MYCELIUM_CLI_KEYDIR:-}" ] && rm -rf "$MYCELIUM_CLI_KEYDIR"
  psql -X -q -d "$admin_db" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "DROP ROLE IF EXISTS $v_role" -c "DROP ROLE IF EXISTS $m_role" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# pass DESCRIPTION [VALUE]: the value is shown when it is one line.
pass() {
  passed=$((passed + 1))
  if [ -n "${2:-}" ] && [[ $2 != *$'\n'* ]]; then
    echo "ok   - $1: $2"
  else
    echo "ok   - $1"
  fi
}
fail() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  shift
  local line
  for line in "$@"; do echo "       $line"; done
  if [ -n "${last_command:-}" ]; then
    echo "       command: $last_command"
    echo "       exit status: $status"
    sed 's/^/       stdout: /' "$work/stdout"
    sed 's/^/       stderr: /' "$work/stderr"
  fi
}

# run CMD...: runs CMD, keeping its exit status in $status, its output in $work/stdout and
# $work/stderr and in $out and $err.
run() {
  last_command="${*//"$work/"/}"
  last_command=${last_command//password=$v_password/password=...}
  last_command=${last_command//password=$m_password/password=...}
  status=0
  "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
  out=$(cat "$work/stdout")
  err=$(cat "$work/stderr")
}

# expect_ok DESCRIPTION EXPECTED_STDOUT -- CMD...: CMD exits 0 and prints exactly EXPECTED_STDOUT
# (or anything, when EXPECTED_STDOUT is "*").
expect_ok() {
  local what=$1 expected=$2
  shift 3
  run "$@"
  if [ "$status" -ne 0 ]; then
    fail "$what" "expected exit status 0"
  elif [ "$expected" != "*" ] && [ "$out" != "$expected" ]; then
    fail "$what" "expected stdout: $expected"
  else
    pass "$what" "${expected#\*}"
  fi
}

# expect_fail CODE PATTERN -- CMD...: CMD exits with CODE, prints nothing on stdout and one line
# on stderr that contains PATTERN (a fixed string).
expect_fail() {
  local code=$1 pattern=$2
  shift 3
  run "$@"
  if [ "$status" -ne "$code" ]; then
    fail "exit $code with '$pattern'" "expected exit status $code"
  elif ! grep -Fq -- "$pattern" "$work/stderr"; then
    fail "exit $code with '$pattern'" "stderr does not contain: $pattern"
  elif [ -s "$work/stdout" ] || [ "$(wc -l <"$work/stderr")" -ne 1 ]; then
    fail "exit $code with '$pattern'" "expected one line on stderr and nothing on stdout"
  else
    pass "exit $code" "$err"
  fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  last_command=
  if [ "$2" == "$3" ]; then
    pass "$1" "$3"
  else
    fail "$1" "expected: $2" "actual:   $3"
  fi
}

# sql QUERY: one value (or rows separated by newlines, columns by |), as the superuser.
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

# Set-up, as the operator (superuser): not checks, so a failure here stops the run (set -e).
psql -X -q -v ON_ERROR_STOP=1 -d "$admin_db" -c "CREATE DATABASE $db"
export PGDATABASE=$db
sql "CREATE EXTENSION mycelium" >/dev/null
v_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
m_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
sql "CREATE ROLE $v_role LOGIN PASSWORD '$v_password' IN ROLE mycelium_validator" >/dev/null
sql "CREATE ROLE $m_role LOGIN PASSWORD '$m_password' IN ROLE mycelium_miner" >/dev/null
# TCP with a password, as a node logs in; the default connection (the environment) is the
# superuser.
dsn="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=$db"
VALIDATOR="$dsn user=$v_role password=$v_password"
MINER="$dsn user=$m_role password=$m_password"
UNREACHABLE='host=127.0.0.1 port=1 connect_timeout=2'

echo "# keys and registration"
declare -A pub
for node in v1 v2 m1; do
  expect_ok "keygen $node" "*" -- "$CLI" keygen --out "$work/$node.key"
  pub[$node]=$(sed -n 's/^public_key: //p' "$work/$node.key")
  expect_eq "keygen $node prints the key file's public key" "${pub[$node]}" "$out"
done
expect_ok "register validator-1" "registered validator validator-1 (public key ${pub[v1]})" -- \
  "$CLI" register-node --key-file "$work/v1.key" --node-id validator-1 --type validator \
  --ip 127.0.0.1 --port 7001
expect_ok "register validator-2" "registered validator validator-2 (public key ${pub[v2]})" -- \
  "$CLI" register-node --key-file "$work/v2.key" --node-id validator-2 --type validator \
  --ip 127.0.0.1 --port 7002
expect_ok "register miner-1" "registered miner miner-1 (public key ${pub[m1]})" -- \
  "$CLI" register-node --key-file "$work/m1.key" --node-id miner-1 --type miner \
  --ip 127.0.0.1 --port 7003
expect_eq "node_metadata" "miner-1|miner|${pub[m1]}
validator-1|validator|${pub[v1]}
validator-2|validator|${pub[v2]}" \
  "$(sql "SELECT node_id, node_type, public_key FROM mycelium.node_metadata ORDER BY node_id")"

echo "# shard"
expect_eq "create_shard('users')" users "$(sql "SELECT mycelium.create_shard('users')")"

echo "# put, get, update, delete, put again (as the validator's login role)"
v1=(--key-file "$work/v1.key" --node-id validator-1 --dsn "$VALIDATOR")
# Sent as its canonical JSON (1.50 becomes 1.5), stored as jsonb, printed by get as jsonb text.
value1='{ "name": "Zoë \"Z\"", "tags": ["a", "b"], "n": 1.50, "nested": {"ok": true, "none": null} }'
stored1='{"n": 1.5, "name": "Zoë \"Z\"", "tags": ["a", "b"], "nested": {"ok": true, "none": null}}'
expect_ok "put" "put users/alice version 1" -- \
  "$CLI" put "${v1[@]}" --shard users --key alice --value "$value1"
expect_ok "get returns the value" "$stored1" -- \
  "$CLI" get --shard users --key alice --dsn "$VALIDATOR"
expect_eq "stored value equals the value put" t \
  "$(sql "SELECT value = '$value1'::jsonb FROM mycelium.data WHERE shard_id = 'users' AND key = 'alice'")"
expect_ok "the miner's login reads it too" "$stored1" -- \
  "$CLI" get --shard users --key alice --dsn "$MINER"
expect_ok "put again" "put users/alice version 2" -- \
  "$CLI" put "${v1[@]}" --shard users --key alice --value '"second"'
sig=$(sql "SELECT signature FROM mycelium.data WHERE shard_id = 'users' AND key = 'alice'")
expect_ok "get --json shows version 2 and its signature" \
  "{\"shard\":\"users\",\"key\":\"alice\",\"value\":\"second\",\"version\":2,\"created_by\":\"validator-1\",\"signature\":\"$sig\"}" -- \
  "$CLI" get --json --shard users --key alice --dsn "$VALIDATOR"
expect_ok "delete" "delete users/alice version 3" -- \
  "$CLI" delete "${v1[@]}" --shard users --key alice
expect_fail 1 "mycelium: users/alice not found" -- \
  "$CLI" get --shard users --key alice --dsn "$VALIDATOR"
expect_eq "the tombstone keeps version 3" "3|validator-1" \
  "$(sql "SELECT version, created_by FROM mycelium.tombstones WHERE shard_id = 'users' AND key = 'alice'")"

echo "# refused writes"
# Another node's key file: the database says MC001, the CLI says which key the file holds and
# what to do.
expect_fail 1 "(MC001)" -- \
  "$CLI" put --key-file "$work/v2.key" --node-id validator-1 --dsn "$VALIDATOR" \
  --shard users --key alice --value '"forged"'
expect_eq "...naming the key file's key, the registered key and the key's owner" \
  "key file $work/v2.key holds public key ${pub[v2]}, but mycelium.node_metadata registers ${pub[v1]} for node validator-1: wrong key file or wrong --node-id (the key file is node validator-2's: use validator-1's own key file, or --node-id validator-2 to write as validator-2)" \
  "${err#*signer\'s registered key; }"
"$CLI" keygen --out "$work/stray.key" >/dev/null
expect_fail 1 "(MC001)" -- \
  "$CLI" put --key-file "$work/stray.key" --node-id validator-1 --dsn "$VALIDATOR" \
  --shard users --key alice --value '"forged"'
expect_eq "...or that no node has that key" \
  "wrong key file or wrong --node-id (use the key file node validator-1 was registered with)" \
  "${err#*for node validator-1: }"
expect_fail 1 "(MC002)" -- \
  "$CLI" put --key-file "$work/v2.key" --node-id validator-9 --dsn "$VALIDATOR" \
  --shard users --key alice --value '"forged"'
expect_eq "an unregistered --node-id with a registered key file: the key's node is suggested" \
  "key file $work/v2.key holds the key of node validator-2: did you mean --node-id validator-2?" \
  "${err#*not a registered node; }"
expect_fail 1 "(MC002)" -- \
  "$CLI" put --key-file "$work/stray.key" --node-id validator-9 --dsn "$VALIDATOR" \
  --shard users --key alice --value '"forged"'
expect_eq "...and with an unregistered key: register it first" \
  "register it first (mycelium register-node --key-file $work/stray.key --node-id validator-9 ...)" \
  "${err#*not a registered node; }"
# A deleted key cannot be deleted again, even with the right key.
expect_fail 1 "(MC011)" -- "$CLI" delete "${v1[@]}" --shard users --key alice
# The superuser may call put, so the signer is what is refused.
expect_fail 1 "(MC004)" -- \
  "$CLI" put --key-file "$work/m1.key" --node-id miner-1 --shard users --key alice --value '"m"'
# The miner's login may not call put at all.
expect_fail 1 "(42501)" -- \
  "$CLI" put --key-file "$work/m1.key" --node-id miner-1 --dsn "$MINER" \
  --shard users --key alice --value '"m"'
expect_fail 1 "(42501)" -- \
  "$CLI" put --key-file "$work/v1.key" --node-id validator-1 --dsn "$MINER" \
  --shard users --key alice --value '"m"'
# A shard the database does not have: every command says so in the same words, naming it.
missing_shard='shard "no_such_shard" does not exist in this database (see mycelium.shards)'
expect_fail 1 "mycelium: put: $missing_shard" -- \
  "$CLI" put "${v1[@]}" --shard no_such_shard --key alice --value 1
expect_fail 1 "mycelium: delete: $missing_shard" -- \
  "$CLI" delete "${v1[@]}" --shard no_such_shard --key alice
expect_fail 1 "mycelium: get: $missing_shard" -- \
  "$CLI" get --shard no_such_shard --key alice --dsn "$MINER"
expect_fail 1 "cannot connect to the database" -- \
  "$CLI" put --key-file "$work/v1.key" --node-id validator-1 --dsn "$UNREACHABLE" \
  --shard users --key alice --value 1
expect_fail 1 "cannot connect to the database" -- \
  "$CLI" get --shard users --key alice --dsn "$UNREACHABLE"

echo "# a put after the delete continues the key's versions"
expect_ok "put after delete" "put users/alice version 4" -- \
  "$CLI" put "${v1[@]}" --shard users --key alice --value '{"back": true}'
expect_ok "get after put" '{"back": true}' -- \
  "$CLI" get --shard users --key alice --dsn "$VALIDATOR"
expect_eq "the live row has version 4" "4|validator-1" \
  "$(sql "SELECT version, created_by FROM mycelium.data WHERE shard_id = 'users' AND key = 'alice'")"
# The tombstone stays (only drop_shard removes it), so the signed put of version 1 or 2 can
# never be replayed.
expect_eq "the tombstone still records version 3" 3 \
  "$(sql "SELECT version FROM mycelium.tombstones WHERE shard_id = 'users' AND key = 'alice'")"
expect_fail 1 "holds public key ${pub[v2]}, but mycelium.node_metadata registers ${pub[v1]} for node validator-1" -- \
  "$CLI" delete --key-file "$work/v2.key" --node-id validator-1 --dsn "$VALIDATOR" \
  --shard users --key alice
expect_ok "get: the forged delete changed nothing" '{"back": true}' -- \
  "$CLI" get --shard users --key alice --dsn "$MINER"

echo "# audit"
expect_eq "verify_audit('users')" "t|4||" \
  "$(sql "SELECT * FROM mycelium.verify_audit('users')")"
expect_eq "audit log" "1|put|alice|1|validator-1
2|put|alice|2|validator-1
3|delete|alice|3|validator-1
4|put|alice|4|validator-1" \
  "$(sql "SELECT seq, op, key, version, created_by FROM mycelium.audit_log
           WHERE shard_id = 'users' ORDER BY seq")"
expect_eq "the shard's chain head" "4|t" \
  "$(sql "SELECT s.head_seq, s.head_hash = c.entry_hash FROM mycelium.shards s
            JOIN mycelium.audit_log c ON c.shard_id = s.shard_id AND c.seq = s.head_seq
           WHERE s.shard_id = 'users'")"

echo "# encoding: the client sends and reads UTF-8 whatever PGCLIENTENCODING says"
# Signatures cover the UTF-8 bytes; a LATIN1 session would hand the server other bytes for "ë"
# (or refuse "€" outright), and the signature would not verify. mycelium::pgclient forces UTF8.
expect_eq "create_shard('enc')" enc "$(sql "SELECT mycelium.create_shard('enc')")"
expect_ok "put with PGCLIENTENCODING=LATIN1 and non-Latin-1 text" "put enc/zoë version 1" -- \
  env PGCLIENTENCODING=LATIN1 "$CLI" put "${v1[@]}" --shard enc --key zoë --value '"Zoë pays 5 €"'
expect_ok "...and get under LATIN1 prints the UTF-8 it stored" '"Zoë pays 5 €"' -- \
  env PGCLIENTENCODING=LATIN1 "$CLI" get --shard enc --key zoë --dsn "$VALIDATOR"
expect_eq "...which the database verifies" "t|1||" \
  "$(sql "SELECT * FROM mycelium.verify_audit('enc')")"

echo "cli roundtrip: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
