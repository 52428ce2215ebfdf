#!/usr/bin/env bash
# Runs the single-node pg_regress suite (regress/schedule) against the installed extension.
# As root, initdb refuses to run, so a throwaway cluster comes from pg_virtualenv (it runs the
# cluster as postgres, exports PGHOST/PGPORT/PGUSER/PGPASSWORD and drops it afterwards); -t keeps
# its files in a temporary directory, so parallel runs and existing clusters never collide. With
# MN_PG_BINDIR set (a private PostgreSQL), a throwaway cluster of those binaries instead.
#   scripts/run-regress.sh            every test in the schedule
#   scripts/run-regress.sh boundary   just sql/boundary.sql
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bindir=$(pg_config --bindir)
pg_regress="$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress"
outdir=${REGRESS_OUTDIR:-build/regress}
mkdir -p "$outdir"

if [ $# -gt 0 ]; then
  tests=("$@")
else
  tests=(--schedule=regress/schedule)
  # A test file missing from the schedule would silently never run.
  for f in sql/*.sql; do
    name=$(basename "$f" .sql)
    grep -Eq "^test:.*\b${name}\b" regress/schedule || {
      echo "run-regress: sql/$name.sql is not in regress/schedule" >&2
      exit 1
    }
  done
fi

# pg_regress sets the test database up through psql, which prints each statement's tag (SET,
# DROP DATABASE, CREATE DATABASE, six ALTER DATABASE): noise around the results, dropped here.
run() {
  set -o pipefail
  "$pg_regress" --inputdir=. --outputdir="$outdir" --bindir="$pg_bindir" \
    --dbname=mycelium_regression "${tests[@]}" |
    sed -u -E '/^(SET|DROP DATABASE|CREATE DATABASE|ALTER DATABASE|CREATE EXTENSION)$/d'
}

# The server's settings. Preloaded, as in production: the leases of elected shards live in
# shared memory (a small table, so that sql/elected_shards.sql can fill it).
settings=(max_connections=50 shared_preload_libraries=mycelium mycelium.max_elected_shards=64)

if [ -n "${PGHOST:-}" ] && [ -n "${MYCELIUM_USE_EXISTING:-}" ]; then
  run
else
  # The node signs its audit entries with its node key (mycelium.node_key_file): a key made for
  # the test, in a directory the server's user owns.
  keydir=$(mktemp -d /tmp/mycelium-regress-key.XXXXXX)
  trap 'rm -rf "$keydir"' EXIT
  /usr/bin/python3 regress/sign.py keyfile regress-node "$keydir/node.key"
  chown -R postgres: "$keydir"
  settings+=("mycelium.node_key_file=$keydir/node.key")
  if [ -n "${MN_PG_BINDIR:-}" ]; then
    # A private PostgreSQL (MN_PG_BINDIR, as the multi-node harness takes it): pg_virtualenv
    # would start the system's binaries, which load the system's copy of the extension. A
    # throwaway cluster of those binaries instead, on a socket in the key's directory.
    # shellcheck source=../regress/multinode/lib.sh
    MYCELIUM_MN_DIR=$keydir
    . regress/multinode/lib.sh
    port=$(mn_free_port 25432)
    trap 'runuser -u postgres -- "$MN_PG_BINDIR/pg_ctl" -D "$keydir/data" -s -m immediate stop \
            >/dev/null 2>&1; rm -rf "$keydir"' EXIT
    mn_as_postgres "$MN_PG_BINDIR/initdb" -D "$keydir/data" -U postgres --auth=trust --no-sync \
      >/dev/null
    # In postgresql.conf, as pg_virtualenv puts them: ALTER SYSTEM overrides them there (tests
    # do), not options on the command line.
    for setting in "${settings[@]}" fsync=off listen_addresses=; do
      echo "${setting%%=*} = '${setting#*=}'" >>"$keydir/data/postgresql.conf"
    done
    mn_as_postgres "$MN_PG_BINDIR/pg_ctl" -D "$keydir/data" -l "$keydir/server.log" -s -w \
      -o "-p $port -k $keydir" start || { tail -50 "$keydir/server.log" >&2; exit 2; }
    PGHOST=$keydir PGPORT=$port PGUSER=postgres run
  else
    export -f run
    export pg_regress outdir pg_bindir
    export tests_str="${tests[*]}"
    virtualenv_opts=()
    for setting in "${settings[@]}"; do virtualenv_opts+=(-o "$setting"); done
    pg_virtualenv -t "${virtualenv_opts[@]}" bash -c 'tests=($tests_str); run'
  fi
fi
