# Shared by the integration scripts (sourced): one assertion per check, and bounded waits.
# The caller sets passed=0 failed=0 and prints the totals.

# check NAME COMMAND...: runs COMMAND as one assertion and prints ok/FAIL with NAME.
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# one_cluster NAME BASE_PORT: a throwaway cluster for a one-node suite (needs
# regress/multinode/lib.sh): sets MYCELIUM_MN_DIR (exported), data, log and port (the first
# free port from BASE_PORT); initdb, a configuration listening on 127.0.0.1:port only, and an EXIT
# trap that stops the server, prints its log when a check failed, and removes the directory. The
# caller appends its own settings to "$data/postgresql.conf" and starts the server.
one_cluster() {
  MYCELIUM_MN_DIR=$(mktemp -d "/tmp/mycelium-$1.XXXXXX")
  export MYCELIUM_MN_DIR
  data=$(mn_datadir 1)
  log=$(mn_logfile 1)
  trap one_cluster_cleanup EXIT
  chown postgres: "$MYCELIUM_MN_DIR"
  mn_as_postgres mkdir "$MYCELIUM_MN_DIR/sock"
  mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$data" -U postgres --auth=trust --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || { echo "initdb failed"; exit 2; }
  port=$(mn_free_port "$2")
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$MYCELIUM_MN_DIR/sock'
CONF
}
one_cluster_cleanup() {
  mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$data" -s -m immediate stop >/dev/null 2>&1
  [ "$failed" -eq 0 ] || { echo "--- server log"; cat "$log"; }
  rm -rf "$MYCELIUM_MN_DIR"
}
