# shellcheck shell=bash
# A throwaway network of N PostgreSQL nodes with a mycelium-agent each, on loopback (sourced by
# tests/integration/agents_p2p.sh and bench/gossip-agents.sh, not executed). Every node registers
# every node as a validator with stake 10; the agents connect as role mycelium_agent.
#
# The caller sets `build` (the CMake build directory) and sources regress/multinode/lib.sh first,
# then calls agent_net_create N and arranges for agent_net_cleanup to run on exit.
#
# Set by agent_net_create, indexed by node 1..N:
#   pg[i]          PostgreSQL port        agent_port[i]  bootstrap peer port (200 above it are
#   http_port[i]   agent HTTP port                        left free for port rotation)
#   agent_pids[i]  the running agent

agent_net_nodes=0
agent_pids=()
declare -A pg agent_port http_port

# agent_net_create N: N clusters with database mycelium and the extension, one key per node.
agent_net_create() {
  agent_net_nodes=$1
  MYCELIUM_MN_DIR=$(mktemp -d /tmp/mycelium-agents.XXXXXX)
  export MYCELIUM_MN_DIR
  chown postgres: "$MYCELIUM_MN_DIR"
  mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
  echo "MN_NODES=$agent_net_nodes" >"$MYCELIUM_MN_DIR/state"
  local i target port
  port=$(mn_free_port 27000)
  for i in $(seq 1 "$agent_net_nodes"); do
    mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$(mn_datadir "$i")" -U postgres --auth=trust \
      --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || mn_die "initdb failed"
    pg[$i]=$(mn_free_port "$port")
    mn_start "$i" "${pg[$i]}" || mn_die "node $i did not start"
    echo "MN_PORT_$i=${pg[$i]}" >>"$MYCELIUM_MN_DIR/state"
    agent_port[$i]=$(mn_free_port $((pg[$i] + 1)))
    http_port[$i]=$(mn_free_port $((agent_port[$i] + 201)))
    port=$((http_port[$i] + 1))
  done
  # The bearer token for the agents' POST endpoints (http.token_file), shared by this network.
  (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$MYCELIUM_MN_DIR/http.token")
  AGENT_NET_TOKEN=$(cat "$MYCELIUM_MN_DIR/http.token")
  export AGENT_NET_TOKEN
  for i in $(seq 1 "$agent_net_nodes"); do
    psql -X -q -h 127.0.0.1 -p "${pg[$i]}" -U postgres -d postgres -c "CREATE DATABASE mycelium" >/dev/null
    sql "$i" "CREATE EXTENSION mycelium; SELECT mycelium.set_local_node('node-$i');
              CREATE ROLE mycelium_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner, mycelium_consensus;" >/dev/null
    # AGENT_NET_SEEDED_KEYS=1: regress/sign.py's key for "node-I", so that the test can sign
    # as the node (blacklist entries) with sign.py; otherwise a fresh key.
    if [ "${AGENT_NET_SEEDED_KEYS:-0}" = 1 ]; then
      /usr/bin/python3 regress/sign.py keyfile "node-$i" "$MYCELIUM_MN_DIR/node-$i.key"
    else
      "$build/cli/mycelium" keygen --out "$MYCELIUM_MN_DIR/node-$i.key" >/dev/null
    fi
  done
  for target in $(seq 1 "$agent_net_nodes"); do
    for i in $(seq 1 "$agent_net_nodes"); do
      agent_net_register "node-$i" "$MYCELIUM_MN_DIR/node-$i.key" validator "${pg[$i]}" "$target"
    done
    sql "$target" "UPDATE mycelium.node_metadata SET stake = 10" >/dev/null
  done
}

# agent_net_register NODE_ID KEY_FILE TYPE PORT TARGET: registers a node in TARGET's metadata.
agent_net_register() {
  "$build/cli/mycelium" register-node --key-file "$2" --node-id "$1" --type "$3" \
    --ip 127.0.0.1 --port "$4" --dsn "host=127.0.0.1 port=${pg[$5]} user=postgres dbname=mycelium" \
    >/dev/null
}

# agent_config I EXTRA_YAML BOOTSTRAP_NODES...: writes node I's agent configuration (fast
# timers for tests) with EXTRA_YAML appended, and prints its path.
agent_config() {
  local i=$1 extra=$2 peer
  shift 2
  local f="$MYCELIUM_MN_DIR/agent$i.yaml"
  {
    echo "node_id: node-$i"
    echo "key_file: node-$i.key"
    echo "node_type: validator"
    echo "listen: {address: 127.0.0.1, port: ${agent_port[$i]}}"
    echo "http: {address: 127.0.0.1, port: ${http_port[$i]}, token_file: http.token}"
    echo "database_dsn: host=127.0.0.1 port=${pg[$i]} user=mycelium_agent dbname=mycelium"
    echo "ping_interval_ms: 300"
    echo "peer_timeout_ms: 3000"
    echo "redial_min_ms: 200"
    echo "redial_max_ms: 1000"
    echo "status_interval_ms: 500"
    echo "discovery_interval_ms: 500"
    [ -n "$extra" ] && echo "$extra"
    echo "bootstrap_peers:"
    for peer in "$@"; do echo "  - 127.0.0.1:${agent_port[$peer]}"; done
  } >"$f"
  echo "$f"
}

# agent_start I CONFIG: starts node I's agent in the background, logging to agentI.log.
agent_start() {
  "$build/agent/mycelium-agent" --config "$2" >>"$MYCELIUM_MN_DIR/agent$1.log" 2>&1 &
  agent_pids[$1]=$!
}

# agent_stop_all: SIGTERM to every agent, then waits for them to exit (at most 10 s).
agent_stop_all() {
  local pid
  for pid in "${agent_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait_for 10 agents_stopped
}
agents_stopped() {
  local pid
  for pid in "${agent_pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 1; done
  return 0
}

# agent_net_finish: for `trap agent_net_finish EXIT`: the agents' log tails when a check failed
# (the caller's $failed) or keep_logs=1, then agent_net_cleanup.
agent_net_finish() {
  local f
  if [ "${failed:-0}" -gt 0 ] || [ "${keep_logs:-0}" = 1 ]; then
    for f in "$MYCELIUM_MN_DIR"/agent*.log; do
      [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
    done
  fi
  agent_net_cleanup
}

# agent_net_cleanup: kills the agents, stops the clusters and removes the directory.
agent_net_cleanup() {
  local pid i
  for pid in "${agent_pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for i in $(seq 1 "$agent_net_nodes"); do
    mn_running "$i" 2>/dev/null && mn_stop "$i" immediate >/dev/null 2>&1
  done
  [ -n "${MYCELIUM_MN_DIR:-}" ] && rm -rf "$MYCELIUM_MN_DIR"
}

sql() { # sql NODE SQL: one value, superuser
  psql -X -q -At -h 127.0.0.1 -p "${pg[$1]}" -U postgres -d mycelium -v ON_ERROR_STOP=1 -c "$2"
}
http() { curl -sf "http://127.0.0.1:${http_port[$1]}$2"; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
linked_peers() { http "$1" /peers | json "sum(1 for p in d['peers'] if p['linked'])"; }
all_linked() { # every agent linked to all N-1 others
  local i
  for i in $(seq 1 "$agent_net_nodes"); do
    [ "$(linked_peers "$i" 2>/dev/null)" = $((agent_net_nodes - 1)) ] || return 1
  done
}
