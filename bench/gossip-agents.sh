#!/usr/bin/env bash
# Gossip benchmark across real agents (bench/RESULTS.md, "Gossip"): five PostgreSQL nodes with a
# mycelium-agent each on loopback (tests/integration/agent_net.sh, all linked to each other), and
# for each gossip configuration the time for a message to reach all other agents
# (bench/gossip_agents.py). The baseline in the same run is fanout 4 with ttl 1: the origin sends
# to every other agent directly and nobody relays, which is the floor of one authenticated hop.
#
#   make install && bench/gossip-agents.sh
#   NODES=5 MESSAGES=1000 GAP_MS=10 RATE=1000 CONFIGS="4:1 6:4 2:4 1:4" bench/gossip-agents.sh
#
# CONFIGS lists FANOUT:TTL pairs; 6:4 is the agent's default; with NODES other than 5, make the
# baseline NODES-1:1. Needs root (initdb runs as postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-$PWD/build}
NODES=${NODES:-5}
MESSAGES=${MESSAGES:-1000}
GAP_MS=${GAP_MS:-10}
RATE=${RATE:-1000}
CONFIGS=${CONFIGS:-"4:1 6:4 2:4 1:4"}

cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target mycelium-agent mycelium >/dev/null
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
# shellcheck source=tests/integration/agent_net.sh
. tests/integration/agent_net.sh
trap agent_net_cleanup EXIT

echo "setting up $NODES nodes..." >&2
agent_net_create "$NODES"
others() { local j; for j in $(seq 1 "$NODES"); do [ "$j" = "$1" ] || echo "$j"; done; }
ports=()
for i in $(seq 1 "$NODES"); do ports+=("${http_port[$i]}"); done

echo "### Gossip across $NODES real agents"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');"
echo "$MESSAGES messages per round; times in ms from the origin handing the message to its links."
echo
echo "| fanout:ttl | round | messages | one agent p50 | all p50 | all p95 | all p99 | all max | mean hops | max hops | frames received / message | deliveries missed |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for config in $CONFIGS; do
  fanout=${config%%:*}
  ttl=${config##*:}
  for i in $(seq 1 "$NODES"); do
    # shellcheck disable=SC2046
    agent_start "$i" "$(agent_config "$i" "gossip: {fanout: $fanout, ttl: $ttl}" $(others "$i"))"
  done
  wait_for 30 all_linked || { echo "agents did not link (fanout $fanout)" >&2; exit 1; }
  sleep 1 # let the first status and address exchanges settle
  echo "fanout $fanout, ttl $ttl..." >&2
  label="$config"
  [ "$ttl" = 1 ] && [ "$fanout" -ge $((NODES - 1)) ] && label="$config (direct, baseline)"
  /usr/bin/python3 bench/gossip_agents.py "$label" "$MESSAGES" "$GAP_MS" "$RATE" "${ports[@]}"
  agent_stop_all || { echo "agents did not stop" >&2; exit 1; }
  agent_pids=()
done
