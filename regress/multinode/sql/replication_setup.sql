-- Three nodes that know each other. node-1 and node-2 are validators, node-3 a miner. On every
-- node: its own name (local_node), every node's signed registration, LOGIN roles for peers to
-- use (sync_node_<i>: node-<i>'s login for delivering to the inbox; mycelium_reader reads), and
-- the credentials this node uses to reach the others. The scenarios after this one build on it.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\set QUIET on

\set k1 `:sign public node-1`
\set k2 `:sign public node-2`
\set k3 `:sign public node-3`
SELECT encode(mycelium.registration_payload('node-1', 'validator', :'k1', '127.0.0.1', :port1, '0.1.0'), 'hex') AS p1 \gset
SELECT encode(mycelium.registration_payload('node-2', 'validator', :'k2', '127.0.0.1', :port2, '0.1.0'), 'hex') AS p2 \gset
SELECT encode(mycelium.registration_payload('node-3', 'miner', :'k3', '127.0.0.1', :port3, '0.1.0'), 'hex') AS p3 \gset
\set s1 `:sign sign node-1 :p1`
\set s2 `:sign sign node-2 :p2`
\set s3 `:sign sign node-3 :p3`

-- The same statements on each node (psql has no loops over connections; \ir would need files).
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.set_local_node('node-1');
\i :abs_srcdir/regress/multinode/setup_node.sql
\c mycelium postgres 127.0.0.1 :port2
SELECT mycelium.set_local_node('node-2');
\i :abs_srcdir/regress/multinode/setup_node.sql
\c mycelium postgres 127.0.0.1 :port3
SELECT mycelium.set_local_node('node-3');
\i :abs_srcdir/regress/multinode/setup_node.sql

-- Every node knows the same three nodes.
SELECT node_id, node_type, dbname, port::text IN (:'port1', :'port2', :'port3') AS port_known
  FROM mycelium.node_metadata ORDER BY node_id;
SELECT node_id, purpose, username FROM mycelium.peer_credentials ORDER BY 1, 2;
-- Credentials are for superusers only.
SELECT has_table_privilege('mycelium_admin', 'mycelium.peer_credentials', 'SELECT') AS admin_reads_credentials;

-- Node 1's push worker is paused (a round an hour) so that the scenarios push when they say
-- so (push_now) and their output does not depend on timing; replica_two_replicas turns it on
-- to show it working. ALTER SYSTEM survives the restarts some scenarios make.
\c mycelium postgres 127.0.0.1 :port1
ALTER SYSTEM SET mycelium.push_interval = '1h';
SELECT pg_reload_conf();
