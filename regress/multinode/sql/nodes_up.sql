-- The harness's nodes: each is its own cluster with the extensions installed and the library
-- preloaded; a node stopped with the control command refuses connections, and keeps its data
-- over a restart.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql

-- This scenario needs three nodes (the default).
SELECT :nodes >= 3 AS three_nodes_or_more;

-- The helpers work from here: the client-side signer and error_of.
\set v1_key `:sign public validator-1`
SELECT length(:'v1_key') AS public_key_hex_chars;
SELECT pg_temp.error_of('SELECT 1 / 0');

-- pg_regress's own database on node 1 has both extensions.
SELECT extname FROM pg_extension WHERE extname IN ('mycelium', 'postgres_fdw') ORDER BY extname;

-- Each node's database mycelium: the extension matches the loaded library, postgres_fdw is
-- there, and mycelium is preloaded at server start.
\c mycelium postgres 127.0.0.1 :port1
SELECT current_setting('port') = :'port1' AS on_node_1,
       mycelium.version() = (SELECT extversion FROM pg_extension WHERE extname = 'mycelium') AS version_ok,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') AS fdw,
       'mycelium' = ANY (string_to_array(current_setting('shared_preload_libraries'), ',')) AS preloaded;
SELECT system_identifier AS sysid1 FROM pg_control_system() \gset

\c mycelium postgres 127.0.0.1 :port2
SELECT current_setting('port') = :'port2' AS on_node_2,
       mycelium.version() = (SELECT extversion FROM pg_extension WHERE extname = 'mycelium') AS version_ok,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') AS fdw,
       'mycelium' = ANY (string_to_array(current_setting('shared_preload_libraries'), ',')) AS preloaded;
SELECT system_identifier AS sysid2 FROM pg_control_system() \gset

\c mycelium postgres 127.0.0.1 :port3
SELECT current_setting('port') = :'port3' AS on_node_3,
       mycelium.version() = (SELECT extversion FROM pg_extension WHERE extname = 'mycelium') AS version_ok,
       EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') AS fdw,
       'mycelium' = ANY (string_to_array(current_setting('shared_preload_libraries'), ',')) AS preloaded;
SELECT system_identifier AS sysid3 FROM pg_control_system() \gset

-- Three separate clusters, not one reached three times.
SELECT count(DISTINCT s) AS distinct_clusters FROM unnest(ARRAY[:sysid1, :sysid2, :sysid3]::bigint[]) s;

-- A row on node 2 ...
\c mycelium postgres 127.0.0.1 :port2
CREATE TABLE scratch (id int PRIMARY KEY, note text);
INSERT INTO scratch VALUES (1, 'written before the stop');

-- ... node 2 stops (this session moves to node 1 first: the stop ends node 2's sessions) ...
\c mycelium postgres 127.0.0.1 :port1
\! "$MYCELIUM_HARNESS" stop 2
-- ... and refuses connections (psql exits with 2: no connection), while node 3 still answers.
\! "$MYCELIUM_HARNESS" psql 2 -c 'select 1' 2>&1 | grep -c 'Connection refused'
\! "$MYCELIUM_HARNESS" psql 2 -c 'select 1' >/dev/null 2>&1; echo "psql exit status $?"
\! "$MYCELIUM_HARNESS" psql 3 -Atc 'select 1'

-- Started again, node 2 still has the row.
\! "$MYCELIUM_HARNESS" start 2
\c mycelium postgres 127.0.0.1 :port2
SELECT * FROM scratch;

-- An immediate stop (crash recovery on start) keeps committed rows too.
INSERT INTO scratch VALUES (2, 'written before the crash');
\c mycelium postgres 127.0.0.1 :port1
\! "$MYCELIUM_HARNESS" restart 2 --immediate
\c mycelium postgres 127.0.0.1 :port2
SELECT * FROM scratch ORDER BY id;
DROP TABLE scratch;
