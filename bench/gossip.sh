#!/usr/bin/env bash
# Gossip benchmark (bench/RESULTS.md, "Gossip"): time for a message to reach all of 100 nodes
# simulated in one process with the agent's own gossip code (bench/gossip_sim.cpp: real
# GossipRelay decisions and Ed25519 verifications, a discrete-event network), compared in the
# same run with flooding every link (the baseline).
#
#   bench/gossip.sh [NODES=100] [MESSAGES=200] [DEGREE=8]     (LINK_US=200: per-hop latency)
#
# Five real agents on loopback: bench/gossip-agents.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-$PWD/build}
cmake -S . -B "$BUILD_DIR" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target mycelium-bench-gossip-sim >/dev/null
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec "$BUILD_DIR/bench/mycelium-bench-gossip-sim" "$@"
