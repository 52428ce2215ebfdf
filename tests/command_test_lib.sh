# Sourced by the command-line tests (tests/cli/cli_test.sh, tests/agent/agent_options_test.sh):
# run a program as a user would, keep its exit status and output, and fail with all of it.
# The caller sets PROGRAM (the binary), PROGRAM_NAME (as the user types it) and CASE.

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL [$CASE]: $*"
  echo "--- command: $last_command"
  echo "--- exit status: $status"
  echo "--- stdout:"
  cat "$work/stdout"
  echo "--- stderr:"
  cat "$work/stderr"
  exit 1
}

# run ARGS...: runs the program, keeping its exit status, stdout and stderr.
run() {
  last_command="$PROGRAM_NAME $*"
  "$PROGRAM" "$@" >"$work/stdout" 2>"$work/stderr"
  status=$?
}

expect_status() {
  [ "$status" -eq "$1" ] || fail "expected exit status $1"
}
