#!/usr/bin/env bash
# Agent transport benchmark (bench/RESULTS.md, "Agent transport"): over one authenticated
# connection on loopback, handshake latency, one-hop Ping, signed Gossip and ~4 KiB DBSyncResp
# pages per second, against the Ed25519 verify rate of one core measured in the same run.
#
# Needs no database and no installed extension: the driver runs two agent Transports (a listener
# and a dialler, on free ports of 127.0.0.1) on one libuv loop in one process.
#   bench/agent-transport.sh
#
# Environment: DURATION    seconds per rate (default 5; six rates, plus the handshakes and the
#                          signing of the gossip pool)
#              WINDOW      messages in flight on the connection (default 128)
#              HANDSHAKES  fresh connections timed for the handshake latency (default 200)
#              REVERSE     1: messages flow listener -> dialler (default: dialler -> listener,
#                          so the sender is the WebSocket client and masks its frames)
#              HANDSHAKE_TRACE  set: every handshake latency on stderr
#              BUILD_DIR   CMake build tree for the driver (default build/)
# The Markdown table for bench/RESULTS.md goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
export DURATION=${DURATION:-5}
export WINDOW=${WINDOW:-128}
export HANDSHAKES=${HANDSHAKES:-200}

# Build the driver if needed (incremental; configures the build tree the first time).
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target mycelium-bench-agent-transport >/dev/null

exec "$BUILD_DIR/bench/mycelium-bench-agent-transport"
