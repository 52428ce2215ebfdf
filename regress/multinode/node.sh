#!/usr/bin/env bash
# Control command for multi-node scenarios; run.sh exports its path as MYCELIUM_HARNESS and its
# temporary directory as MYCELIUM_MN_DIR. From a scenario:
#   \! "$MYCELIUM_HARNESS" stop 2               fast shutdown of node 2
#   \! "$MYCELIUM_HARNESS" stop 2 --immediate   immediate shutdown (crash recovery on start)
#   \! "$MYCELIUM_HARNESS" start 2              start node 2, wait until it accepts connections
#   \! "$MYCELIUM_HARNESS" restart 2 [--immediate]
#   \! "$MYCELIUM_HARNESS" psql 2 [PSQL ARGS]   psql -X as postgres to node 2's database mycelium
# stop, start and restart print nothing on success (expected output stays deterministic) and an
# error on stderr, with a nonzero exit, on failure.
set -uo pipefail
# shellcheck source=regress/multinode/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
  echo "usage: $0 stop|start|restart N [--immediate] | psql N [PSQL ARGS...]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
node=$2
shift 2
[[ $node =~ ^[1-9][0-9]*$ ]] || usage
mn_load_state
port=$(mn_port "$node") || exit 2

stop_mode=fast
case $cmd in
  stop | restart)
    case "${1:-}" in
      "") ;;
      --immediate) stop_mode=immediate ;;
      *) usage ;;
    esac
    ;;
  start) [ $# -eq 0 ] || usage ;;
esac

case $cmd in
  stop)
    mn_stop "$node" "$stop_mode" || { echo "node.sh: node $node did not stop" >&2; exit 1; }
    ;;
  start)
    mn_start "$node" "$port" || { echo "node.sh: node $node did not start, see $(mn_logfile "$node")" >&2; exit 1; }
    ;;
  restart)
    mn_stop "$node" "$stop_mode" || { echo "node.sh: node $node did not stop" >&2; exit 1; }
    mn_start "$node" "$port" || { echo "node.sh: node $node did not start, see $(mn_logfile "$node")" >&2; exit 1; }
    ;;
  psql)
    exec "$MN_PG_BINDIR/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d mycelium "$@"
    ;;
  *) usage ;;
esac
