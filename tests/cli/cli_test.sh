#!/bin/sh
# One ctest case of the mycelium command-line tool, run as a user would run it.
# Usage: cli_test.sh MYCELIUM_BINARY PROJECT_VERSION CASE
# None of the cases needs a database: the ones that reach the network use a closed port.
set -u

MYCELIUM=$1
VERSION=$2
CASE=$3
PROGRAM=$MYCELIUM
PROGRAM_NAME=mycelium
# shellcheck source=tests/command_test_lib.sh
. "$(dirname "$0")/../command_test_lib.sh"

# Nothing listens on port 1, so libpq fails at once with "Connection refused".
UNREACHABLE='host=127.0.0.1 port=1 connect_timeout=2'

expect_stdout() {
  grep -Eq -- "$1" "$work/stdout" || fail "stdout does not match: $1"
}
expect_stderr() {
  grep -Eq -- "$1" "$work/stderr" || fail "stderr does not match: $1"
}
expect_stderr_fixed() {
  grep -Fq -- "$1" "$work/stderr" || fail "stderr does not contain: $1"
}
expect_stderr_not() {
  ! grep -Eq -- "$1" "$work/stderr" || fail "stderr should not match: $1"
}
# A failure is reported as exactly one line on stderr, prefixed "mycelium: ", and nothing on
# stdout.
expect_error() {
  expect_status "$1"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "expected one line on stderr"
  expect_stderr "^mycelium: $2"
  [ ! -s "$work/stdout" ] || fail "expected nothing on stdout"
}
# A usage error also points to the right help.
expect_usage_error() {
  expect_error 2 "$1"
  expect_stderr "\\(see 'mycelium ${2:+$2 }--help'\\)\$"
}

# A key file with mode 0600, as keygen writes it.
make_key() {
  "$MYCELIUM" keygen --out "$1" >/dev/null || {
    echo "FAIL [$CASE]: keygen --out $1 failed"
    exit 1
  }
}

status=0
last_command=
: >"$work/stdout"
: >"$work/stderr"

case $CASE in
help)
  run --help
  expect_status 0
  expect_stdout '^Usage: mycelium COMMAND'
  for command in keygen register-node put delete get; do
    expect_stdout "^  $command "
  done
  [ ! -s "$work/stderr" ] || fail "expected nothing on stderr"
  ;;
command_help)
  for command in keygen register-node put delete get; do
    run "$command" --help
    expect_status 0
    expect_stdout "^Usage: mycelium $command "
    expect_stdout '^  -h, --help '
    # --help wins even when required options are missing or others follow.
    run "$command" --help --no-such-option
    expect_status 0
    run help "$command"
    expect_status 0
    expect_stdout "^Usage: mycelium $command "
  done
  run put --help
  expect_stdout '--key-file FILE --node-id ID --shard SHARD --key KEY --value JSON \[--dsn DSN\]'
  ;;
version)
  run --version
  expect_status 0
  [ "$(cat "$work/stdout")" = "mycelium $VERSION" ] || fail "expected 'mycelium $VERSION'"
  run -V
  [ "$(cat "$work/stdout")" = "mycelium $VERSION" ] || fail "expected 'mycelium $VERSION'"
  ;;
no_command)
  run
  expect_usage_error 'no command given'
  ;;
unknown_command)
  run frobnicate --shard s
  expect_usage_error "unknown command 'frobnicate'"
  ;;
unknown_option)
  run --no-such-option
  expect_usage_error "unknown option '--no-such-option'"
  run get --shard s --key k --no-such-option
  expect_usage_error "unknown option '--no-such-option' for 'get'" get
  run get --shard s --key k -x
  expect_usage_error "unknown option '-x' for 'get'" get
  run get --shard s --key k stray
  expect_usage_error "unexpected argument 'stray' for 'get'" get
  run get --shard s --key k --json=yes
  expect_usage_error 'option --json takes no value' get
  ;;
option_without_value)
  run get --key k --shard
  expect_usage_error 'option --shard needs a value' get
  # The next option is not taken as the value: that is almost always a forgotten value.
  run get --shard --key k
  expect_usage_error 'option --shard needs a value' get
  ;;
duplicate_option)
  run get --shard a --key k --shard b
  expect_usage_error 'option --shard given twice' get
  ;;
missing_key_file)
  run put --node-id n1 --shard s1 --key k --value 1
  expect_usage_error 'missing required option --key-file' put
  run delete --node-id n1 --shard s1 --key k
  expect_usage_error 'missing required option --key-file' delete
  run register-node --node-id n1 --type miner --ip 10.0.0.1 --port 5432
  expect_usage_error 'missing required option --key-file' register-node
  ;;
missing_shard)
  run get --key k
  expect_usage_error 'missing required option --shard' get
  run put --key-file "$work/key" --node-id n1 --key k --value 1
  expect_usage_error 'missing required option --shard' put
  run delete --key-file "$work/key" --node-id n1 --key k
  expect_usage_error 'missing required option --shard' delete
  ;;
missing_out)
  run keygen
  expect_usage_error 'missing required option --out' keygen
  ;;
bad_port)
  for port in 0 65536 99999999 -1 abc 80x ' 80' +80 ''; do
    run register-node --key-file "$work/key" --node-id n1 --type miner --ip 10.0.0.1 \
      --port "$port"
    expect_usage_error "--port must be a port number from 1 to 65535, got '" register-node
    expect_stderr_fixed "got '$port' ("
  done
  ;;
bad_node_type)
  run register-node --key-file "$work/key" --node-id n1 --type boss --ip 10.0.0.1 --port 5432
  expect_usage_error "--type must be validator or miner, got 'boss'" register-node
  ;;
keygen)
  run keygen --out "$work/node.key"
  expect_status 0
  expect_stdout '^[0-9a-f]{64}$'
  [ "$(wc -l <"$work/stdout")" -eq 1 ] || fail "expected the public key alone on stdout"
  [ "$(stat -c %a "$work/node.key")" = 600 ] || fail "key file mode is not 600"
  grep -qx "public_key: $(cat "$work/stdout")" "$work/node.key" ||
    fail "printed public key is not the file's"
  grep -Eq '^secret_seed: [0-9a-f]{64}$' "$work/node.key" || fail "no secret_seed line"
  cp "$work/node.key" "$work/before"
  run keygen --out "$work/node.key"
  expect_error 1 "key file $work/node.key: "
  cmp -s "$work/node.key" "$work/before" || fail "an existing key file was overwritten"
  run keygen --out "$work/no-such-dir/node.key"
  expect_error 1 "key file $work/no-such-dir/node.key: "
  ;;
put_key_file_mode_0644)
  make_key "$work/node.key"
  chmod 0644 "$work/node.key"
  run put --key-file "$work/node.key" --node-id n1 --shard s1 --key k --value '{"a":1}' \
    --dsn "$UNREACHABLE"
  expect_error 1 "key file $work/node.key: readable by group or others"
  expect_stderr_not 'connect'
  ;;
key_file_refused_by_every_command)
  make_key "$work/node.key"
  chmod 0640 "$work/node.key"
  run delete --key-file "$work/node.key" --node-id n1 --shard s1 --key k --dsn "$UNREACHABLE"
  expect_error 1 "key file $work/node.key: readable by group or others"
  run register-node --key-file "$work/node.key" --node-id n1 --type validator --ip 10.0.0.1 \
    --port 5432 --dsn "$UNREACHABLE"
  expect_error 1 "key file $work/node.key: readable by group or others"
  run put --key-file "$work/missing.key" --node-id n1 --shard s1 --key k --value 1 \
    --dsn "$UNREACHABLE"
  expect_error 1 "key file $work/missing.key: "
  expect_stderr_not 'connect'
  # A public key that does not belong to the seed.
  make_key "$work/other.key"
  {
    grep '^public_key' "$work/other.key"
    grep '^secret_seed' "$work/node.key"
  } >"$work/mixed.key"
  chmod 0600 "$work/mixed.key"
  run put --key-file "$work/mixed.key" --node-id n1 --shard s1 --key k --value 1 \
    --dsn "$UNREACHABLE"
  expect_error 1 "key file $work/mixed.key: public_key does not match secret_seed"
  ;;
put_invalid_value)
  make_key "$work/node.key"
  for value in '{"a":' '' 'nope' '{"a":1,"a":2}' '0.12345678901234567' '[1] [2]'; do
    run put --key-file "$work/node.key" --node-id n1 --shard s1 --key k --value "$value" \
      --dsn "$UNREACHABLE"
    expect_error 1 '--value: '
    expect_stderr_not 'connect'
  done
  ;;
put_value_not_json)
  # A bare word is not JSON: the message says so and shows the quoting that stores a string.
  make_key "$work/node.key"
  run put --key-file "$work/node.key" --node-id n1 --shard s1 --key k --value hello \
    --dsn "$UNREACHABLE"
  expect_error 1 '--value: invalid JSON value \(at byte 0\); the value must be JSON '
  expect_stderr_fixed "to store the string hello, pass --value '\"hello\"'"
  expect_stderr_not 'connect'
  # Text that cannot go between single quotes as it is gets a neutral example.
  run put --key-file "$work/node.key" --node-id n1 --shard s1 --key k --value "it's" \
    --dsn "$UNREACHABLE"
  expect_error 1 '--value: invalid JSON value'
  expect_stderr_fixed "to store the string text, pass --value '\"text\"'"
  run put --help
  expect_stdout "a string in double quotes: '\"text\"'"
  ;;
register_invalid_capabilities)
  make_key "$work/node.key"
  run register-node --key-file "$work/node.key" --node-id n1 --type validator --ip 10.0.0.1 \
    --port 5432 --capabilities '{"gpu":true,}' --dsn "$UNREACHABLE"
  expect_error 1 '--capabilities: '
  expect_stderr_not 'connect'
  ;;
put_unreachable)
  make_key "$work/node.key"
  run put --key-file "$work/node.key" --node-id n1 --shard s1 --key k --value '{"a":1}' \
    --dsn "$UNREACHABLE"
  expect_error 1 'cannot connect to the database: .*127\.0\.0\.1.*port 1 failed'
  ;;
unreachable_every_command)
  make_key "$work/node.key"
  run delete --key-file "$work/node.key" --node-id n1 --shard s1 --key k --dsn "$UNREACHABLE"
  expect_error 1 'cannot connect to the database: .*port 1 failed'
  run get --shard s1 --key k --dsn "$UNREACHABLE"
  expect_error 1 'cannot connect to the database: .*port 1 failed'
  run register-node --key-file "$work/node.key" --node-id n1 --type miner --ip 10.0.0.1 \
    --port 5432 --dsn "$UNREACHABLE"
  expect_error 1 'cannot connect to the database: .*port 1 failed'
  # A URI works as well as a conninfo string.
  run get --shard s1 --key k --dsn 'postgresql://127.0.0.1:1/db?connect_timeout=2'
  expect_error 1 'cannot connect to the database: .*port 1 failed'
  ;;
*)
  echo "cli_test.sh: unknown case '$CASE'"
  exit 2
  ;;
esac
exit 0
