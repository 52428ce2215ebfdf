#!/usr/bin/env bash
# `make demo`: a throwaway PostgreSQL cluster with the mycelium extension, shown through SQL.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_virtualenv bash -c '
set -e
psql -X -q -v ON_ERROR_STOP=1 <<SQL
\echo
\echo == CREATE EXTENSION mycelium
CREATE EXTENSION mycelium;
\echo
\echo == Installed version
SELECT extversion AS catalog_version, mycelium.version() AS library_version
  FROM pg_extension WHERE extname = '\''mycelium'\'';
\echo == What the extension offers
\dx+ mycelium
SQL
'
