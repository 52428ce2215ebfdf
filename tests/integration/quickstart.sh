#!/usr/bin/env bash
# Runs README.md's "Quickstart by hand: two nodes" as written, so that it cannot drift from the
# code. The convention (also stated in the README, in a comment under the section's heading):
#   - every ```sh block of that section (up to the next "## " heading) is run, in order, in ONE
#     bash (set -euo pipefail), as a root operator would type them into one shell: a `cd` or a
#     variable of one block holds in the next;
#   - the ```text block right after a ```sh block is the output it must print (stdout and
#     stderr together). A line of only `...` stands for any number of lines, `...` inside a
#     line for any text; trailing spaces and leading or trailing empty lines do not count. A
#     ```sh block without a ```text block must print nothing.
# The quickstart uses fixed names: PostgreSQL clusters 15/node1 and 15/node2, ports 5441, 5442
# (PostgreSQL), 7441, 7442 (agents' peers), 8441, 8442 (agents' HTTP) and the directory
# /var/tmp/mycelium-quickstart. They must be free before the run (checked: nothing is
# overwritten); the quickstart's last block removes them, and the EXIT trap does so whenever
# the run stops early. The install step (make install; cmake --install build) runs from the
# repository's root, as the README says, and installs into /usr/local.
# Prints one line per block and `quickstart: N passed, N failed`; exits nonzero on any failure.
# Run as root from anywhere. Takes 30 to 60 s, most of it in make install (a no-op build, unless
# the build is not up to date) and pg_createcluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
passed=0
failed=0

heading='## Quickstart by hand: two nodes'
qs_dir=/var/tmp/mycelium-quickstart
clusters=(node1 node2)
ports=(5441 5442 7441 7442 8441 8442)

[ "$(id -u)" -eq 0 ] || { echo "quickstart: run as root (the README is written for root)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/mycelium-quickstart-test.XXXXXX)
we_own_env=0 # set once the preconditions hold: only then does the cleanup remove anything

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? f pid c
  trap - EXIT
  set +e
  if [ "$we_own_env" = 1 ]; then
    # Agents the quickstart started and did not stop (it stopped early): by their pid files,
    # and only if the pid is still a mycelium-agent.
    for f in "$qs_dir"/*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mycelium-agent ] && kill -9 "$pid"
    done
    if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
      for f in "$qs_dir"/node-*.log /var/log/postgresql/postgresql-15-node[12].log; do
        [ -s "$f" ] && { echo "--- tail of $f"; tail -n 20 "$f"; }
      done
    fi
    for c in "${clusters[@]}"; do
      [ -d "/var/lib/postgresql/15/$c" ] && pg_dropcluster --stop 15 "$c"
      # pg_dropcluster leaves files it did not make (conf.d/mycelium.conf).
      rm -rf "/etc/postgresql/15/$c" "/var/lib/postgresql/15/$c"
    done
    rm -rf "$qs_dir"
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# Extract the blocks: $tmp/N.sh, and $tmp/N.expected when a ```text block follows.
blocks=$(python3 - "$root/README.md" "$heading" "$tmp" <<'EOF'
import re, sys
readme, heading, out = sys.argv[1:4]
lines = open(readme, encoding="utf-8").read().split("\n")
if heading not in lines:
    sys.exit(f"no line '{heading}' in {readme}")
i = lines.index(heading) + 1
end = next((j for j in range(i, len(lines)) if lines[j].startswith("## ")), len(lines))
n = 0
prev_sh = False  # the last block seen, with only blank lines since, was a ```sh block
while i < end:
    m = re.fullmatch(r"```(\w*)\s*", lines[i])
    if not m:
        prev_sh = prev_sh and not lines[i].strip()
        i += 1
        continue
    j = i + 1
    while j < end and not lines[j].startswith("```"):
        j += 1
    if j == end:
        sys.exit(f"{readme}:{i + 1}: unterminated block")
    body = "\n".join(lines[i + 1:j]) + "\n"
    if m.group(1) == "sh":
        n += 1
        open(f"{out}/{n}.sh", "w").write(body)
        prev_sh = True
    elif m.group(1) == "text":
        if not prev_sh:
            sys.exit(f"{readme}:{i + 1}: a text block that follows no sh block")
        open(f"{out}/{n}.expected", "w").write(body)
        prev_sh = False
    else:
        prev_sh = False
    i = j + 1
if n == 0:
    sys.exit("no sh blocks in the section")
print(n)
EOF
) || { echo "quickstart: cannot read the README's blocks" >&2; exit 2; }

# The names this script checks and cleans up must be the README's: if the quickstart moves to
# other names, this script must follow.
for name in "$qs_dir" "${clusters[@]/#/15 }" "${ports[@]}"; do
  grep -qF -- "$name" "$tmp"/*.sh || {
    echo "quickstart: the README's quickstart no longer uses '$name'; update $0" >&2
    exit 2
  }
done
# Nothing of an earlier run or of anyone else may be in the way: we remove all of it at the end.
[ ! -e "$qs_dir" ] || { echo "quickstart: $qs_dir exists (an earlier run?); remove it first" >&2; exit 2; }
for c in "${clusters[@]}"; do
  if [ -e "/etc/postgresql/15/$c" ] || [ -e "/var/lib/postgresql/15/$c" ]; then
    echo "quickstart: PostgreSQL cluster 15/$c exists; remove it first (pg_dropcluster --stop 15 $c)" >&2
    exit 2
  fi
done
# A bind test on loopback (with SO_REUSEADDR, as the servers bind: TIME_WAIT does not count).
busy=$(python3 - "${ports[@]}" <<'EOF'
import socket, sys
for port in sys.argv[1:]:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError:
            print(port, end=" ")
EOF
)
[ -z "$busy" ] || { echo "quickstart: ports in use: $busy" >&2; exit 2; }
we_own_env=1

# One script of all blocks, each announced by a marker line on stdout (after a newline, in case
# the previous output did not end with one) that carries the time. It runs in a fresh root
# environment: the caller's PG* variables (pg_virtualenv sets some), BUILD_DIR and the like
# must neither help nor hurt it. The timeout only bounds a run whose wait loops never end.
runner=$tmp/runner.sh
{
  echo "set -euo pipefail"
  for n in $(seq 1 "$blocks"); do
    printf '%s\n' "printf '\\n@@quickstart-block $n %s\\n' \"\$EPOCHREALTIME\""
    cat "$tmp/$n.sh"
  done
  printf '%s\n' "printf '\\n@@quickstart-block end %s\\n' \"\$EPOCHREALTIME\""
} >"$runner"
started=$SECONDS
rc=0
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  LANG=C.UTF-8 USER=root LOGNAME=root SHELL=/bin/bash \
  timeout 120 bash "$runner" </dev/null >"$tmp/output" 2>&1 || rc=$?

# Split the output at the markers into each block's output, and compare it with the README's
# text block: $tmp/N.ok, or $tmp/N.diff (both shown); $tmp/N.seconds for the blocks that
# finished. Prints the last block announced: if the runner failed, that block did.
last=$(python3 - "$tmp" <<'EOF'
import os, re, sys
out = sys.argv[1]
order, chunks, times = [], {}, {}
for line in open(f"{out}/output", encoding="utf-8", errors="replace").read().split("\n"):
    m = re.fullmatch(r"@@quickstart-block (\d+|end) ([0-9.]+)", line)
    if m:
        order.append(m.group(1))
        chunks[m.group(1)], times[m.group(1)] = [], float(m.group(2))
    elif order:
        chunks[order[-1]].append(line.rstrip())

def trim(ls):
    while ls and not ls[0]:
        ls = ls[1:]
    while ls and not ls[-1]:
        ls = ls[:-1]
    return ls

def matches(exp, act):
    # A line of only "..." is None: any number of lines; elsewhere "..." is any text.
    pats = [None if e == "..." else
            re.compile("".join(".*" if p == "..." else re.escape(p) for p in re.split(r"(\.\.\.)", e)))
            for e in exp]
    memo = {}
    def match(i, j):
        if (i, j) not in memo:
            if i == len(pats):
                r = j == len(act)
            elif pats[i] is None:
                r = match(i + 1, j) or (j < len(act) and match(i, j + 1))
            else:
                r = j < len(act) and pats[i].fullmatch(act[j]) is not None and match(i + 1, j + 1)
            memo[i, j] = r
        return memo[i, j]
    return match(0, 0)

for k, nxt in zip(order, order[1:] + [None]):
    if k == "end":
        continue
    if nxt:
        open(f"{out}/{k}.seconds", "w").write(f"{times[nxt] - times[k]:.1f}")
    exp = []
    if os.path.exists(f"{out}/{k}.expected"):
        exp = trim([l.rstrip() for l in open(f"{out}/{k}.expected", encoding="utf-8").read().split("\n")])
    act = trim(chunks[k])
    if matches(exp, act):
        open(f"{out}/{k}.ok", "w").close()
    else:
        with open(f"{out}/{k}.diff", "w") as f:
            f.write("     expected:\n")
            f.write("".join(f"       | {l}\n" for l in exp) or "       (nothing)\n")
            f.write("     got:\n")
            f.write("".join(f"       | {l}\n" for l in act) or "       (nothing)\n")
print(order[-1] if order else "")
EOF
)

for n in $(seq 1 "$blocks"); do
  # A block is named by its first command line, and timed.
  title=$(grep -vE '^\s*(#|$)' "$tmp/$n.sh" | head -n 1 | cut -c1-60)
  [ ! -f "$tmp/$n.seconds" ] || title+=", $(cat "$tmp/$n.seconds") s"
  if [ -z "$last" ] || { [ "$last" != end ] && [ "$n" -gt "$last" ]; }; then
    check "block $n not run ($title)" false
  elif [ "$last" = "$n" ] && [ "$rc" -ne 0 ]; then
    check "block $n exits with 0 ($title): exit $rc$([ "$rc" != 124 ] || echo ', timed out')" false
  else
    check "block $n prints what the README shows ($title)" test -f "$tmp/$n.ok"
  fi
  [ ! -f "$tmp/$n.diff" ] || [ -f "$tmp/$n.ok" ] || cat "$tmp/$n.diff"
done
# The quickstart's last block removed everything it made.
gone() {
  local c
  [ ! -e "$qs_dir" ] || return 1
  for c in "${clusters[@]}"; do
    [ ! -e "/etc/postgresql/15/$c" ] && [ ! -e "/var/lib/postgresql/15/$c" ] || return 1
  done
}
check "the quickstart removed its clusters and directory" gone
echo "quickstart: $passed passed, $failed failed ($((SECONDS - started)) s)"
[ "$failed" -eq 0 ]
