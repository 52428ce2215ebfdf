#!/bin/sh
# One ctest case of mycelium-agent's command line, run as an operator would run it. None needs a
# database or a network.
# Usage: agent_options_test.sh AGENT_BINARY CLI_BINARY BUILD_DIR CASE
set -u

AGENT=$1
CLI=$2
BUILD_DIR=$3
CASE=$4
PROGRAM=$AGENT
PROGRAM_NAME=mycelium-agent
# shellcheck source=tests/command_test_lib.sh
. "$(dirname "$0")/../command_test_lib.sh"

# The first line on stderr is the message; the usage may follow.
expect_first_error_line() {
  [ "$(head -n 1 "$work/stderr")" = "$1" ] || fail "expected first line on stderr: $1"
}

status=0
last_command=
: >"$work/stdout"
: >"$work/stderr"

case $CASE in
config_without_value)
  for option in --config -c --check-config; do
    run "$option"
    expect_status 2
    expect_first_error_line "mycelium-agent: $option needs a value (a path to the config file)"
    # The next option is a forgotten value, not a file called "--help".
    run "$option" --help
    expect_status 2
    expect_first_error_line "mycelium-agent: $option needs a value (a path to the config file)"
  done
  ;;
help_names_installed_files)
  # Every file --help points the operator to is one the install rules put there.
  run --help
  expect_status 0
  grep -E '^  /' "$work/stdout" | sed 's/^ *//' >"$work/named"
  [ "$(wc -l <"$work/named")" -ge 2 ] || fail "expected the installed reference and example in --help"
  DESTDIR="$work/root" "${CMAKE_COMMAND:-cmake}" --install "$BUILD_DIR" --component agent-docs \
    >"$work/install.log" 2>&1 || fail "cmake --install failed: $(cat "$work/install.log")"
  while read -r path; do
    [ -s "$work/root$path" ] || fail "--help names $path, which the install rules do not install"
  done <"$work/named"
  grep -q 'example.yaml$' "$work/named" || fail "--help names no example configuration"
  ;;
check_config_bad_dsn)
  # A DSN typo is caught by --check-config, with no database anywhere: libpq parses, nobody
  # connects.
  "$CLI" keygen --out "$work/node.key" >/dev/null || fail "keygen failed"
  write_config() {
    cat >"$work/agent.yaml" <<YAML
node_id: node-1
node_type: validator
key_file: node.key
listen: {address: 127.0.0.1, port: 7001}
http: {address: 127.0.0.1, port: 9101}
database_dsn: $1
YAML
  }
  write_config 'hots=127.0.0.1 port=1 dbname=mycelium'
  run --check-config "$work/agent.yaml"
  expect_status 2
  expect_first_error_line "mycelium-agent: $work/agent.yaml:6:15: database_dsn: not a valid libpq connection string: invalid connection option \"hots\"; did you mean \"host\"?"
  # A normal start refuses it the same way, before it touches the network.
  run --config "$work/agent.yaml"
  expect_status 2
  expect_first_error_line "mycelium-agent: $work/agent.yaml:6:15: database_dsn: not a valid libpq connection string: invalid connection option \"hots\"; did you mean \"host\"?"
  # The same DSN spelt right passes the check (port 1: nothing is contacted).
  write_config 'host=127.0.0.1 port=1 dbname=mycelium'
  run --check-config "$work/agent.yaml"
  expect_status 0
  ;;
*)
  echo "agent_options_test.sh: unknown case '$CASE'"
  exit 2
  ;;
esac
exit 0
