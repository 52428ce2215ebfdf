#!/usr/bin/env bash
# `make test`: every suite, even after one fails, then a summary; nonzero if any failed.
# Expects the build and the installed extension (the Makefile's test target does both).
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_names=()

suite() {
  local name=$1
  shift
  echo
  echo "=== $name ==="
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$name")
  fi
}

suite "unit (ctest)" ctest --test-dir build --output-on-failure
suite "single-node regression (pg_regress)" scripts/run-regress.sh
suite "multi-node regression" regress/multinode/run.sh
suite "CLI against PostgreSQL" tests/integration/cli_roundtrip.sh
suite "agents on loopback" tests/integration/agents.sh
suite "five agents: gossip, discovery, blacklist, port rotation" tests/integration/agents_p2p.sh
suite "two agents run by hand: start-up checks, restarts, bans, unreachable peers" tests/integration/agents_operator.sh
suite "crash: kill -9 of primary and replica under signed writes" tests/integration/crash.sh
suite "sync worker: the database it serves, said and changed by reload" tests/integration/sync_worker.sh
suite "README quickstart by hand, run as written" tests/integration/quickstart.sh

echo
if [ $failed -gt 0 ]; then
  echo "failed suites: ${failed_names[*]}"
  [ -f build/regress/regression.diffs ] && echo "pg_regress differences: build/regress/regression.diffs"
  [ -f build/multinode/regression.diffs ] && echo "multi-node differences: build/multinode/regression.diffs"
fi
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
