#!/usr/bin/env bash
# The push worker is never silently idle. A server set up as README's by-hand section does it
# (the extension in database "app", mycelium.database left at its default "postgres"):
#   - the worker logs which database it serves, and, once, that the extension is not there;
#   - mycelium.push_worker (read from "app") shows the same: serving "postgres", no extension;
#   - ALTER SYSTEM SET mycelium.database = 'app' and a reload restart the worker there (it used
#     to need a server restart), which the log and the view then show;
#   - a database that does not exist is retried after a growing wait, not every 5 s.
# Prints `push worker: N passed, N failed`; exits nonzero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=regress/multinode/lib.sh
. regress/multinode/lib.sh
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
passed=0
failed=0

one_cluster worker 27800
# Only what README asks for: the library preloaded. mycelium.database keeps its default.
cat >>"$data/postgresql.conf" <<CONF
shared_preload_libraries = 'mycelium'
CONF
mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$data" -l "$log" -s -w start >/dev/null ||
  { echo "the server did not start"; cat "$log"; exit 2; }
sql() { psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$1" -v ON_ERROR_STOP=1 -c "$2"; }
sql postgres "CREATE DATABASE app" >/dev/null
sql app "CREATE EXTENSION mycelium" >/dev/null

worker() { sql app "SELECT database || ' ' || serves_this_database || ' ' || COALESCE(extension_present::text, '?') FROM mycelium.push_worker"; }
# worker_is EXPECTED: for wait_for, which must re-run the query on every try.
worker_is() { [ "$(worker)" = "$1" ]; }
rounds() { sql app "SELECT rounds FROM mycelium.push_worker"; }
rounds_above() { [ "$(rounds)" -gt "$1" ]; }
count_in_log() { grep -c -- "$1" "$log"; }

check "the worker logs the database it serves" wait_for 10 \
  grep -q 'mycelium push worker started: serving database "postgres"' "$log"
check "...and that the extension is not there" wait_for 10 \
  grep -q 'extension "mycelium" is not installed in database "postgres": nothing is replicated' "$log"
check "mycelium.push_worker shows it: database postgres, not this one, no extension" \
  wait_for 10 worker_is "postgres false false"
rounds_before=$(rounds)
sql app "ALTER SYSTEM SET mycelium.push_interval = '100ms'" >/dev/null
sql app "SELECT pg_reload_conf()" >/dev/null
check "rounds go on" wait_for 10 rounds_above "$((rounds_before + 3))"
check "...and the missing extension is logged once, not every round" \
  test "$(count_in_log 'is not installed in database')" = 1

sql app "ALTER SYSTEM SET mycelium.database = 'app'" >/dev/null
sql app "SELECT pg_reload_conf()" >/dev/null
check "a reload with mycelium.database = app restarts the worker (logged)" wait_for 10 \
  grep -q 'mycelium.database changed from "postgres" to "app"; restarting to serve it' "$log"
check "...which then serves app, where the extension is" wait_for 20 worker_is "app true true"
check "...and logs it" \
  grep -q 'mycelium push worker started: serving database "app"' "$log"

# A database that does not exist: the worker cannot connect, and the view says where it tries
# (no pid: it is not running) instead of showing the old database as served.
sql app "ALTER SYSTEM SET mycelium.database = 'nosuchdb'" >/dev/null
sql app "SELECT pg_reload_conf()" >/dev/null
worker_tries_nosuchdb() { [ "$(sql app "SELECT database || ' ' || (pid IS NULL) || ' ' || serves_this_database FROM mycelium.push_worker")" = "nosuchdb true false" ]; }
check "with mycelium.database = nosuchdb the view shows it, not running, not serving this one" \
  wait_for 20 worker_tries_nosuchdb
# The postmaster restarts the worker every 5 s, and each one's failed connection logs a FATAL.
# From the second failure on the next worker waits longer (10 s, then 20, 40, ... up to 300 s)
# and says so, so the log is not filled with one FATAL every 5 s.
check "a second failed connection is retried after 10 s, which the next worker logs" wait_for 15 \
  grep -q 'connection attempts to database "nosuchdb" (mycelium.database) failed; the next in 10 s' "$log"
check "...and until then the log holds two FATALs for nosuchdb (at the change and 5 s later)" \
  test "$(count_in_log 'database "nosuchdb" does not exist')" = 2
# A reload that names a database that exists ends the wait at once.
sql app "ALTER SYSTEM SET mycelium.database = 'app'" >/dev/null
sql app "SELECT pg_reload_conf()" >/dev/null
check "...and a reload back to app ends the wait: the worker serves app again" \
  wait_for 10 worker_is "app true true"

echo "push worker: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
