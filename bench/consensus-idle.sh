#!/usr/bin/env bash
# Idle cost of elected shards (issue 14, "many groups must be cheap"; bench/RESULTS.md, "Idle
# elected shards"): three validator nodes (PostgreSQL + mycelium-agent each) on loopback, full
# mesh, set up as tests/integration/agents_consensus.sh does. Nothing is written; it measures
# what the nodes spend doing nothing, over SECONDS, in three phases of one run:
#   0. empty:   no shard at all, the three agents linked;
#   1. fixed:   + SHARDS fixed-primary shards, created on node 1 and replicated to nodes 2 and 3
#               (create_shard(id, replicas => 0), add_replica(id, 'node-2'), 'node-3');
#   2. elected: + SHARDS elected shards, created the same way with elected => true, once every
#               group has a leader and every node applied its epoch (shards.term > 0 everywhere).
# Per node and phase: CPU of the agent (utime+stime of its process) and of the PostgreSQL cluster
# (the postmaster with its reaped children, plus its live children), as % of one core; the
# agent's messages/s in and out (/metrics mycelium_agent_messages_{in,out}_total, all types, and
# type RaftMessage), its RSS at the end of the window, and the groups it leads. Then the cost of
# one idle shard of each kind: (fixed - empty) / SHARDS and (elected - fixed) / SHARDS, in µs of
# CPU per second and messages per second.
#
#   make install && bench/consensus-idle.sh                 # SHARDS=1000 SECONDS=30
#   SHARDS=100 SECONDS=10 bench/consensus-idle.sh           # a quick look
#
# Environment: SHARDS      shards of each kind (default 1000)
#              SECONDS     measurement window of each phase (default 30)
#              SETTLE      seconds to wait after a phase's set-up before measuring (default 10)
#              BATCH       shards created per psql session (default 100)
#              BASE_PORT   first port tried (default 27400: 3 PostgreSQL, 3 agent, 3 HTTP ports)
#              BUILD_DIR   CMake build tree for the agent and the CLI (default build/)
#              FORM_TIMEOUT seconds to wait for every elected group to lead and apply (default
#                          max(120, SHARDS / 2))
# The agents run with their default timing (consensus: election_timeout_ms 1000,
# heartbeat_ms 100; peer pings etc. as in agent/config.hpp). PostgreSQL uses the harness's
# settings (regress/multinode/lib.sh mn_start: fsync=off) and the push worker's default interval.
# The extension must be installed into the PostgreSQL found by pg_config (or MN_PG_BINDIR).
# Markdown for bench/RESULTS.md goes to stdout, progress to stderr. Run as root (the servers run
# as postgres). Everything is removed on exit whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
SHARDS=${SHARDS:-1000}
# SECONDS is also bash's own clock (which starts from the environment's value): the setting is
# read from the environment as given.
WINDOW=$(printenv SECONDS || echo 30)
SETTLE=${SETTLE:-10}
BATCH=${BATCH:-100}
BASE_PORT=${BASE_PORT:-27400}
for v in SHARDS WINDOW SETTLE BATCH BASE_PORT; do
  if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -eq 0 ]; then
    echo "consensus-idle: $v must be a positive integer" >&2
    exit 1
  fi
done
FORM_TIMEOUT=${FORM_TIMEOUT:-$((SHARDS / 2 > 120 ? SHARDS / 2 : 120))}
build=${BUILD_DIR:-$root/build}
cli="$build/cli/mycelium"
agent_bin="$build/agent/mycelium-agent"
export MN_PG_BINDIR=${MN_PG_BINDIR:-$(pg_config --bindir)}
psql_bin="$MN_PG_BINDIR/psql"
[ -x "$psql_bin" ] || psql_bin=psql

die() {
  echo "consensus-idle: $*" >&2
  exit 1
}
log() { echo "consensus-idle: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "run as root (the servers run as postgres)"
[ -f "$("$MN_PG_BINDIR/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)/extension/mycelium.control" ] ||
  die "the mycelium extension is not installed; run 'make install' first"

[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target mycelium-agent mycelium >/dev/null || die "build failed"

# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh # wait_for

MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-bench-consensus-idle.XXXXXX)
export MYCELIUM_MN_DIR
agent_pids=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? pid i
  trap - EXIT
  trap '' INT TERM # a second Ctrl-C must not leave anything running
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for i in 1 2 3; do
    [ -f "$(mn_datadir "$i")/postmaster.pid" ] && mn_stop "$i" immediate >/dev/null 2>&1
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$MYCELIUM_MN_DIR"/agent*.log "$MYCELIUM_MN_DIR"/node*.log; do
      [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  rm -rf "$MYCELIUM_MN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chown postgres: "$MYCELIUM_MN_DIR"
mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
echo "MN_NODES=3" >"$MYCELIUM_MN_DIR/state"

# --- Three nodes, as in tests/integration/agents_consensus.sh -------------------------------
log "3 clusters in $MYCELIUM_MN_DIR, ports from $BASE_PORT"
port=$(mn_free_port "$BASE_PORT") || die "no free port"
declare -A pg agent_port http_port
for i in 1 2 3; do
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust \
    --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || die "initdb failed"
  pg[$i]=$(mn_free_port "$port")
  mn_start "$i" "${pg[$i]}" || die "node $i did not start"
  echo "MN_PORT_$i=${pg[$i]}" >>"$MYCELIUM_MN_DIR/state"
  agent_port[$i]=$(mn_free_port $((pg[$i] + 1)))
  http_port[$i]=$(mn_free_port $((agent_port[$i] + 1)))
  port=$((http_port[$i] + 1))
done

sql() { # sql NODE SQL: one value, superuser
  "$psql_bin" -X -q -At -h 127.0.0.1 -p "${pg[$1]}" -U postgres -d mycelium -v ON_ERROR_STOP=1 -c "$2"
}
for i in 1 2 3; do
  "$psql_bin" -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null ||
    die "CREATE DATABASE on node $i failed"
  sql "$i" "CREATE EXTENSION mycelium; CREATE EXTENSION postgres_fdw;
            SELECT mycelium.set_local_node('node-$i');
            CREATE ROLE mycelium_sync LOGIN IN ROLE mycelium_replicator;
            CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus;" >/dev/null ||
    die "setting up node $i failed"
  "$cli" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
  mn_node_key "$(mn_datadir "$i")" "$MYCELIUM_MN_DIR/node-$i.key"
  sql "$i" "SELECT pg_reload_conf()" >/dev/null
done
for target in 1 2 3; do
  for i in 1 2 3; do
    "$cli" register-node --key-file "$MYCELIUM_MN_DIR/node-$i.key" --node-id "node-$i" \
      --type validator --ip 127.0.0.1 --port "${pg[$i]}" \
      --dsn "host=127.0.0.1 port=${pg[$target]} user=postgres dbname=mycelium" >/dev/null ||
      die "register-node node-$i on node $target failed"
  done
  for i in 1 2 3; do
    [ "$i" = "$target" ] || sql "$target" "SELECT mycelium.set_peer_credentials('node-$i', 'push', 'mycelium_sync')" >/dev/null
  done
done

for i in 1 2 3; do
  {
    echo "node_id: node-$i"
    echo "key_file: node-$i.key"
    echo "node_type: validator"
    echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}"
    echo "http: {address: 127.0.0.1, port: ${http_port[$i]}}"
    echo "database_dsn: host=127.0.0.1 port=${pg[$i]} user=mycelium_agent dbname=mycelium connect_timeout=2"
    echo "log_level: info"
    echo "consensus: {directory: consensus-$i}"
    echo "bootstrap_peers:"
    for j in 1 2 3; do [ "$j" = "$i" ] || echo "  - 127.0.0.1:${agent_port[$j]}"; done
  } >"$MYCELIUM_MN_DIR/agent$i.yaml"
  "$agent_bin" --config "$MYCELIUM_MN_DIR/agent$i.yaml" >>"$MYCELIUM_MN_DIR/agent$i.log" 2>&1 &
  agent_pids[i]=$!
done

metrics() { curl -s --max-time 5 "http://127.0.0.1:${http_port[$1]}/metrics"; }
all_linked() { # every agent has its two peers
  local i
  for i in 1 2 3; do
    [ "$(metrics "$i" | awk '$1 == "mycelium_agent_peers" {print $2}')" = 2 ] || return 1
  done
}
wait_for 60 all_linked || die "the agents did not link within 60 s"
log "agents linked (pids ${agent_pids[*]})"

# --- Measuring --------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
# cpu_ticks PID [CHILDREN]: utime+stime of PID; with CHILDREN=1 also its reaped children's
# (cutime+cstime) and its live children's utime+stime (a PostgreSQL cluster from its postmaster),
# then, as a second number, the live children that are the agent's sessions (mycelium_agent).
cpu_ticks() {
  /usr/bin/python3 - "$1" "${2:-0}" <<'EOF'
import os, sys
pid, children = sys.argv[1], sys.argv[2] == "1"
def fields(p):
    with open(f"/proc/{p}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # from field 3 (state) on
f = fields(pid)
total = int(f[11]) + int(f[12])  # utime, stime
agent = 0
if children:
    total += int(f[13]) + int(f[14])  # cutime, cstime: children that exited and were reaped
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                g = fields(p)
            except OSError:
                continue
            if g[1] == pid:  # ppid
                t = int(g[11]) + int(g[12])
                total += t
                try:
                    with open(f"/proc/{p}/cmdline") as c:
                        if c.read().startswith("postgres: mycelium_agent "):
                            agent += t
                except OSError:
                    pass
    print(total, agent)
else:
    print(total)
EOF
}
postmaster() { head -n1 "$(mn_datadir "$1")/postmaster.pid"; }
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
# snapshot FILE: per node one line: node time agent_ticks pg_ticks pg_agent_ticks msgs_in msgs_out
# raft_in raft_out
snapshot() {
  local i m
  : >"$1"
  for i in 1 2 3; do
    m=$(metrics "$i")
    echo "$i $(date +%s.%N) $(cpu_ticks "${agent_pids[$i]}") $(cpu_ticks "$(postmaster "$i")" 1) $(awk '
      /^mycelium_agent_messages_in_total/ { i += $2 }
      /^mycelium_agent_messages_out_total/ { o += $2 }
      /^mycelium_agent_messages_in_total\{type="RaftMessage"\}/ { ri += $2 }
      /^mycelium_agent_messages_out_total\{type="RaftMessage"\}/ { ro += $2 }
      END { printf "%d %d %d %d", i, o, ri, ro }' <<<"$m")" >>"$1"
  done
}
status_counts() { # status_counts I: "groups leaders" in agent I's /status
  curl -s --max-time 10 "http://127.0.0.1:${http_port[$1]}/status" | /usr/bin/python3 -c "
import json, sys
try:
    s = json.load(sys.stdin)
except Exception:
    print('0 0'); sys.exit(0)
g = s.get('consensus', [])
print(len(g), sum(1 for x in g if x.get('role') == 'leader'))"
}
# measure PHASE: a window of SECONDS, results in $MYCELIUM_MN_DIR/PHASE.{start,end,rss}
measure() {
  local phase=$1 i
  log "phase $phase: settling ${SETTLE} s, then measuring ${WINDOW} s"
  sleep "$SETTLE"
  snapshot "$MYCELIUM_MN_DIR/$phase.start"
  sleep "$WINDOW"
  snapshot "$MYCELIUM_MN_DIR/$phase.end"
  : >"$MYCELIUM_MN_DIR/$phase.rss"
  for i in 1 2 3; do
    echo "$i $(rss_kb "${agent_pids[$i]}") $(status_counts "$i")" >>"$MYCELIUM_MN_DIR/$phase.rss"
  done
}

# create_shards PREFIX ELECTED: SHARDS shards on node 1 with replicas on nodes 2 and 3, BATCH
# per psql session (each statement its own transaction)
create_shards() {
  local prefix=$1 elected=$2 from n upto
  for ((from = 0; from < SHARDS; from += BATCH)); do
    upto=$((from + BATCH < SHARDS ? from + BATCH : SHARDS))
    for ((n = from; n < upto; n++)); do
      printf "SELECT mycelium.create_shard('%s-%04d', replicas => 0, elected => %s);\n" "$prefix" "$n" "$elected"
      printf "SELECT mycelium.add_replica('%s-%04d', 'node-2');\n" "$prefix" "$n"
      printf "SELECT mycelium.add_replica('%s-%04d', 'node-3');\n" "$prefix" "$n"
    done | "$psql_bin" -X -q -At -h 127.0.0.1 -p "${pg[1]}" -U postgres -d mycelium \
      -v ON_ERROR_STOP=1 >/dev/null || die "creating $prefix shards $from.. failed"
    log "  $prefix: $upto of $SHARDS shards after $((SECONDS - setup_started)) s"
  done
}

measure empty

setup_started=$SECONDS
create_shards fixed false
fixed_setup=$((SECONDS - setup_started))
for i in 2 3; do
  [ "$(sql "$i" "SELECT count(*) FROM mycelium.shards WHERE shard_id LIKE 'fixed-%' AND kind = 'replica'")" = "$SHARDS" ] ||
    die "node $i does not hold the $SHARDS fixed shards as replicas"
done
log "fixed: $SHARDS shards with 2 replicas each in ${fixed_setup} s"
measure fixed

setup_started=$SECONDS
create_shards elected true
elected_create=$((SECONDS - setup_started))
log "elected: $SHARDS shards created in ${elected_create} s; waiting for every group to lead and apply (at most ${FORM_TIMEOUT} s)"
formed() { # every node applied an epoch of every elected shard, and the agents lead SHARDS groups
  local i leaders=0 c
  for i in 1 2 3; do
    [ "$(sql "$i" "SELECT count(*) FROM mycelium.shards WHERE elected AND term > 0")" = "$SHARDS" ] || return 1
  done
  for i in 1 2 3; do
    c=$(status_counts "$i")
    [ "${c% *}" = "$SHARDS" ] || return 1
    leaders=$((leaders + ${c#* }))
  done
  [ "$leaders" = "$SHARDS" ]
}
last_report=$SECONDS
formed_or_report() {
  formed && return 0
  if [ $((SECONDS - last_report)) -ge 10 ]; then
    last_report=$SECONDS
    log "  applied: $(for i in 1 2 3; do echo -n "node-$i $(sql "$i" "SELECT count(*) FROM mycelium.shards WHERE elected AND term > 0") "; done)"
  fi
  sleep 1
  return 1
}
wait_for "$FORM_TIMEOUT" formed_or_report ||
  die "the elected groups did not all form within ${FORM_TIMEOUT} s"
elected_setup=$((SECONDS - setup_started))
log "elected: every group leads and every node applied its epoch after ${elected_setup} s"
measure elected

# --- The table --------------------------------------------------------------------------------
echo "### Idle elected shards: $SHARDS shards on 3 nodes"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');"
echo "window ${WINDOW} s per phase; set-up: $SHARDS fixed shards (create_shard + 2 add_replica) ${fixed_setup} s,"
echo "$SHARDS elected shards ${elected_create} s to create, ${elected_setup} s until every group led and every node applied its epoch."
echo
/usr/bin/python3 - "$MYCELIUM_MN_DIR" "$hz" "$SHARDS" <<'EOF'
import sys
d, hz, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
phases = ["empty", "fixed", "elected"]
def load(p):
    a = {l.split()[0]: list(map(float, l.split()[1:])) for l in open(f"{d}/{p}.start")}
    b = {l.split()[0]: list(map(float, l.split()[1:])) for l in open(f"{d}/{p}.end")}
    r = {l.split()[0]: l.split()[1:] for l in open(f"{d}/{p}.rss")}
    out = {}
    for n in a:
        dt = b[n][0] - a[n][0]
        x = [(b[n][k] - a[n][k]) for k in range(1, 8)]
        out[n] = dict(agent=100 * x[0] / hz / dt, pg=100 * x[1] / hz / dt, pga=100 * x[2] / hz / dt,
                      min=x[3] / dt, mout=x[4] / dt, rin=x[5] / dt, rout=x[6] / dt,
                      rss=int(r[n][0]) / 1024, groups=int(r[n][1]), leads=int(r[n][2]))
    return out
m = {p: load(p) for p in phases}
print("| node | phase | agent CPU % | PostgreSQL CPU % | of which the agent's sessions | msgs in/s | msgs out/s | RaftMessage in/s | RaftMessage out/s | agent RSS MiB | groups (leading) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in sorted(m["empty"]):
    for p in phases:
        v = m[p][n]
        print(f"| node-{n} | {p} | {v['agent']:.1f} | {v['pg']:.1f} | {v['pga']:.1f} | {v['min']:.0f} | {v['mout']:.0f} | "
              f"{v['rin']:.0f} | {v['rout']:.0f} | {v['rss']:.1f} | {v['groups']} ({v['leads']}) |")
print()
print(f"Per idle shard and second (difference between phases / {shards}; CPU in µs per shard per second, "
      "1 % of a core = 10,000 µs/s):")
print()
print("| node | kind | agent CPU µs | PostgreSQL CPU µs | of which the agent's sessions | msgs in | msgs out | RaftMessage in | RaftMessage out | agent RSS KiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
tot = {}
for n in sorted(m["empty"]):
    for kind, lo, hi in (("fixed (fixed − empty)", "empty", "fixed"), ("elected (elected − fixed)", "fixed", "elected")):
        a, b = m[lo][n], m[hi][n]
        row = [(b[k] - a[k]) for k in ("agent", "pg", "pga", "min", "mout", "rin", "rout", "rss")]
        t = tot.setdefault(kind, [0] * 8)
        for k in range(8):
            t[k] += row[k]
        print(f"| node-{n} | {kind} | {row[0] * 1e4 / shards:.1f} | {row[1] * 1e4 / shards:.1f} | {row[2] * 1e4 / shards:.1f} | "
              f"{row[3] / shards:.2f} | {row[4] / shards:.2f} | {row[5] / shards:.2f} | {row[6] / shards:.2f} | "
              f"{row[7] * 1024 / shards:.1f} |")
for kind, t in tot.items():
    print(f"| all 3 | {kind} | {t[0] * 1e4 / shards:.1f} | {t[1] * 1e4 / shards:.1f} | {t[2] * 1e4 / shards:.1f} | "
          f"{t[3] / shards:.2f} | {t[4] / shards:.2f} | {t[5] / shards:.2f} | {t[6] / shards:.2f} | "
          f"{t[7] * 1024 / shards:.1f} |")
EOF
