# shellcheck shell=bash
# Shared by run.sh and node.sh (sourced, not executed): how one node of the multi-node harness
# is laid out, started and stopped. Everything lives in the harness's temporary directory
# $MYCELIUM_MN_DIR (owned by postgres):
#   state              MN_NODES=N and MN_PORT_<i>=PORT, written by run.sh, sourced by node.sh
#   sock/              Unix sockets of every node (their names carry the port)
#   node<i>/data       data directory of node i
#   node<i>.log        server log of node i

MN_PG_BINDIR=${MN_PG_BINDIR:-/usr/lib/postgresql/15/bin}

mn_die() {
  echo "multinode: $*" >&2
  exit 2
}

# Runs a command as the postgres user (initdb and the server refuse root), from a directory
# postgres can enter.
mn_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$MYCELIUM_MN_DIR" && runuser -u postgres -- "$@")
  elif [ "$(id -un)" = postgres ]; then
    (cd "$MYCELIUM_MN_DIR" && "$@")
  else
    mn_die "run as root or as postgres"
  fi
}

# mn_free_port FROM [N]: the first N ports (default 1) from FROM on that nothing listens on, one
# a line: a bind test on the loopback address, with SO_REUSEADDR as the server uses it (so a port
# left in TIME_WAIT by an earlier run is usable). Shared by the multi-node harness, the agents'
# integration test, the demo and the benchmarks. Callers start below 32768, outside Linux's
# ephemeral range (ip_local_port_range 32768-60999): a port found free there can be taken by
# any outgoing connection (a libpq client, an agent's dial) before the server binds it.
mn_free_port() {
  python3 - "$1" "${2:-1}" <<'EOF'
import socket, sys
port, wanted = int(sys.argv[1]), int(sys.argv[2])
while port < 65536 and wanted > 0:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            print(port)
            wanted -= 1
        except OSError:
            pass
    port += 1
sys.exit(1 if wanted else 0)
EOF
}

mn_datadir() { echo "$MYCELIUM_MN_DIR/node$1/data"; }

# mn_node_key DATADIR KEYFILE: gives the cluster in DATADIR its node key: a copy of KEYFILE
# owned by postgres, mode 0600, named by mycelium.node_key_file (relative to the data
# directory). The node signs its audit entries and replica control messages with it.
mn_node_key() {
  local data=$1 keyfile=$2
  install -o postgres -g postgres -m 600 "$keyfile" "$data/mycelium_node.key"
  echo "mycelium.node_key_file = 'mycelium_node.key'" >>"$data/postgresql.conf"
}
mn_logfile() { echo "$MYCELIUM_MN_DIR/node$1.log"; }

# The port of node $1, from the state file.
mn_port() {
  local var="MN_PORT_$1"
  [ -n "${!var:-}" ] || mn_die "no node $1 (the harness runs ${MN_NODES:-0} nodes)"
  echo "${!var}"
}

mn_load_state() {
  if [ -z "${MYCELIUM_MN_DIR:-}" ] || [ ! -f "$MYCELIUM_MN_DIR/state" ]; then
    mn_die "no harness state (MYCELIUM_MN_DIR unset or gone); run scenarios through regress/multinode/run.sh"
  fi
  # shellcheck disable=SC1091
  . "$MYCELIUM_MN_DIR/state"
}

# mn_start NODE PORT: starts the node's server and waits until it accepts connections.
# Returns nonzero (server log left in node<i>.log) if it does not come up.
mn_start() {
  local n=$1 port=$2
  mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$(mn_datadir "$n")" -l "$(mn_logfile "$n")" -s -w -t 30 \
    -o "-p $port -k $MYCELIUM_MN_DIR/sock -c listen_addresses=127.0.0.1 -c shared_preload_libraries=mycelium -c max_worker_processes=16 -c fsync=off -c mycelium.database=mycelium" \
    start >/dev/null || return 1
  # pg_ctl -w already waits for "ready"; make sure TCP connections are accepted too.
  local _
  for _ in $(seq 1 100); do
    "$MN_PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
    sleep 0.1
  done
  return 1
}

# mn_stop NODE [MODE]: stops the node's server (MODE fast by default, or immediate).
mn_stop() {
  local n=$1 mode=${2:-fast}
  mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$(mn_datadir "$n")" -s -w -t 60 -m "$mode" stop >/dev/null
}

# True if the node's postmaster is running.
mn_running() {
  mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$(mn_datadir "$1")" status >/dev/null 2>&1
}
