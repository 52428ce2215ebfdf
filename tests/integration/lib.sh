# Shared by the integration scripts (sourced): one assertion per check, and bounded waits.
# The caller sets passed=0 failed=0 and prints the totals.

# check NAME COMMAND...: runs COMMAND as one assertion and prints ok/FAIL with NAME.
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
