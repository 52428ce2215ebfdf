#!/usr/bin/env bash
# `make test`: every suite, even after one fails; one line each, then a summary; nonzero if any
# failed. A suite's whole output goes to build/test-logs/<key>.log (kept, pass or fail); the line
# of a failed suite is followed by what failed, in full (ctest's output of each failed test,
# FAIL lines, pg_regress's failed tests, or the end of the log when the suite stopped early) and
# the paths of its log and differences.
# Expects the build and the installed extension (the Makefile's test target does both).
#   scripts/test.sh                every suite
#   scripts/test.sh unit crash     some of them, by key: unit regress multinode cli agents
#                                  agents_p2p agents_consensus agents_operator agent_chain crash
#                                  push_worker large_shard quickstart
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

logdir=build/test-logs
mkdir -p "$logdir"
jobs=$(nproc 2>/dev/null || echo 2)

# key | title | kind (how its output is read) | command
suites=(
  "unit|unit (ctest)|ctest|ctest --test-dir build --output-on-failure -j$jobs"
  "regress|single-node regression (pg_regress)|pg_regress|scripts/run-regress.sh"
  "multinode|multi-node regression (pg_regress)|pg_regress|regress/multinode/run.sh"
  "cli|CLI against PostgreSQL|checks|tests/integration/cli_roundtrip.sh"
  "agents|agents on loopback|checks|tests/integration/agents.sh"
  "agents_p2p|five agents: gossip, blacklist, port rotation|checks|tests/integration/agents_p2p.sh"
  "agents_consensus|three validators: elected shards' Raft groups, leases, failover|checks|tests/integration/agents_consensus.sh"
  "agents_operator|two agents by hand: start-up, restarts, bans|checks|tests/integration/agents_operator.sh"
  "agent_chain|agent and chain: metagraph, stake, admission|checks|tests/integration/agent_chain.sh"
  "crash|crash: kill -9 under signed writes|checks|tests/integration/crash.sh"
  "push_worker|push worker: its database, by reload|checks|tests/integration/push_worker.sh"
  "large_shard|large shard: verify_audit in bounded memory|checks|tests/integration/large_shard.sh"
  "quickstart|README quickstart by hand, run as written|checks|tests/integration/quickstart.sh"
)
diffs_of() {
  case $1 in
    regress) echo build/regress/regression.diffs ;;
    multinode) echo build/multinode/regression.diffs ;;
  esac
}

selected=("$@")
if [ ${#selected[@]} -gt 0 ]; then
  for key in "${selected[@]}"; do
    printf '%s\n' "${suites[@]}" | grep -q "^$key|" || {
      echo "test.sh: no suite '$key' (keys: $(printf '%s\n' "${suites[@]}" | cut -d'|' -f1 | paste -sd' '))" >&2
      exit 2
    }
  done
fi
wanted() {
  [ ${#selected[@]} -eq 0 ] && return 0
  local k
  for k in "${selected[@]}"; do [ "$k" = "$1" ] && return 0; done
  return 1
}

seconds_since() { # seconds_since NANOSECONDS: "12.3 s"
  local tenths=$((($(date +%s%N) - $1) / 100000000))
  echo "$((tenths / 10)).$((tenths % 10)) s"
}
indent() { sed 's/^/    /'; }

# Each summarise_* reads the suite's log ($log) and exit status ($rc), sets $result (the rest of
# the suite's line) and returns nonzero for a failure; details prints what failed.
summarise_ctest() {
  local line total failed skipped
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    result="FAILED (exit $rc, no ctest summary)"
    return 1
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  # Skipped tests (exit 77) are listed under "did not run" and count as neither.
  skipped=$(grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$log")
  result="$((total - failed - skipped)) passed"
  [ "$skipped" -eq 0 ] || result+=", $skipped skipped"
  [ "$failed" -eq 0 ] || result="FAILED: $result, $failed failed"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
}
details_ctest() {
  # Every failed test's line and its output, as ctest printed them (--output-on-failure): from a
  # result line that is not "Passed" to the next test's line; then ctest's list of failures.
  awk '
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / { show = ($0 !~ / Passed +[0-9.]+ sec$/ && $0 !~ /Skipped/) }
    /^ *Start +[0-9]+: / { next }
    /^[0-9]+% tests passed/ { show = 0 }
    /^The following tests FAILED:/ { show = 1 }
    /^Errors while running CTest/ { show = 0 }
    show' "$log"
  grep -q '% tests passed' "$log" || tail -n 20 "$log"
}
# The fuzz smoke test's own account (a second line under the unit suite): libFuzzer's final
# "Done N runs in S second(s)", or why it was skipped.
fuzz_line() {
  local last=build/Testing/Temporary/LastTest.log runs skip
  [ -f "$last" ] || return 0
  skip=$(grep -m1 -o 'fuzz_envelope_smoke: SKIPPED: .*' "$last")
  runs=$(grep -m1 -oE '^Done [0-9]+ runs in [0-9]+ second' "$last")
  if [ -n "$skip" ]; then
    echo "  ${skip/: SKIPPED:/ skipped:}"
  elif [ -n "$runs" ]; then
    read -r _ n _ _ s _ <<<"$runs"
    echo "  fuzz_envelope_smoke (libFuzzer, ASan, UBSan): $n inputs in $s s, no crash"
  fi
}

summarise_pg_regress() {
  summarise_counts '\.\.\. ok( |$)' '\.\.\. FAILED'
}
details_pg_regress() {
  if grep -q '\.\.\. FAILED' "$log"; then
    grep '\.\.\. FAILED' "$log" | sed -E 's/^(test)? +//'
  else
    tail -n 20 "$log"
  fi
}

# The integration scripts print one "ok   NAME" or "FAIL NAME" line per check.
summarise_checks() {
  summarise_counts '^ok ' '^FAIL'
}

# summarise_counts OK_REGEX FAIL_REGEX: the suite passed when its log has lines matching
# OK_REGEX, none matching FAIL_REGEX, and it exited 0.
summarise_counts() {
  local ok failed
  ok=$(grep -cE "$1" "$log")
  failed=$(grep -cE "$2" "$log")
  result="$ok passed"
  [ "$failed" -eq 0 ] || result="FAILED: $ok passed, $failed failed"
  [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || result="FAILED (exit $rc): $result"
  [ "$ok" -gt 0 ] || [ "$rc" -ne 0 ] || result="FAILED: nothing ran"
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$ok" -gt 0 ]
}
details_checks() {
  if grep -q '^FAIL' "$log"; then
    # Each FAIL line, under it the last lines its check wrote (psql or curl errors, say).
    awk '
      /^ok / || /^#/ { n = 0; next }
      /^FAIL/ {
        print
        for (i = (n > 5 ? n - 4 : 1); i <= n; i++) print "  " out[i]
        n = 0
        next
      }
      { out[++n] = $0 }' "$log"
    # The agents' log tails the script printed on its way out: on a CI machine, where only this
    # output is kept, they are all there is to say why a peer never linked.
    if grep -q '^--- .* (tail)$' "$log"; then
      echo "the agents' logs at exit:"
      sed -n '/^--- .* (tail)$/,$p' "$log" | tail -n 150
    fi
  else
    # Stopped before its checks (exit 2: a server or an agent did not start): the end of the
    # log says why.
    tail -n 20 "$log"
  fi
}

started=$(date +%s%N)
passed=0
failed=0
failed_names=()
for entry in "${suites[@]}"; do
  IFS='|' read -r key title kind command <<<"$entry"
  wanted "$key" || continue
  log=$logdir/$key.log
  diffs=$(diffs_of "$key")
  # The title first: a long suite shows what is running.
  printf '%-46s ' "$title:"
  t0=$(date +%s%N)
  # shellcheck disable=SC2086  # the command is words
  $command >"$log" 2>&1 </dev/null
  rc=$?
  elapsed=$(seconds_since "$t0")
  if "summarise_$kind"; then
    echo "$result ($elapsed)"
    [ "$kind" != ctest ] || fuzz_line
    passed=$((passed + 1))
  else
    echo "$result ($elapsed)"
    [ "$kind" != ctest ] || fuzz_line
    "details_$kind" | indent
    echo "    log: $log"
    # The differences of this run only (pg_regress writes them when a test fails).
    [ -n "$diffs" ] && [ -n "$(find "$diffs" -newermt "@$((t0 / 1000000000))" 2>/dev/null)" ] &&
      echo "    differences: $diffs"
    failed=$((failed + 1))
    failed_names+=("$key")
  fi
done

echo "suites: $passed passed, $failed failed ($(seconds_since "$started")); logs in $logdir/"
[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
[ $failed -eq 0 ]
