#!/usr/bin/env bash
# Runs the single-node pg_regress suite (regress/schedule) against the installed extension.
# As root, initdb refuses to run, so a throwaway cluster comes from pg_virtualenv (it runs the
# cluster as postgres, exports PGHOST/PGPORT/PGUSER/PGPASSWORD and drops it afterwards); -t keeps
# its files in a temporary directory, so parallel runs and existing clusters never collide.
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

if [ -n "${PGHOST:-}" ] && [ -n "${MYCELIUM_USE_EXISTING:-}" ]; then
  run
else
  # The node signs its audit entries with its node key (mycelium.node_key_file): a key made for
  # the test, in a directory the server's user owns.
  keydir=$(mktemp -d /tmp/mycelium-regress-key.XXXXXX)
  trap 'rm -rf "$keydir"' EXIT
  /usr/bin/python3 regress/sign.py keyfile regress-node "$keydir/node.key"
  chown -R postgres: "$keydir"
  export -f run
  export pg_regress outdir pg_bindir
  export tests_str="${tests[*]}"
  pg_virtualenv -t -o 'max_connections=50' -o "mycelium.node_key_file=$keydir/node.key" \
    bash -c 'tests=($tests_str); run'
fi
