-- set_replica_count moves a shard from 1 to 2 to 1 replica, picking the nodes itself (active
-- nodes this node can reach, holding the fewest replicas first); a removed replica's copy is
-- dropped on its node.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-count', replicas => 1);
SELECT count(*) AS replicas FROM mycelium.replicas WHERE shard_id = 's-count';
\set shard s-count
\set prefix n
\set count 5
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-count') AS pushed;

SELECT mycelium.set_replica_count('s-count', 2);
SELECT node_id, status FROM mycelium.replicas WHERE shard_id = 's-count' ORDER BY node_id;
SELECT node_id, match FROM mycelium.replicas r, LATERAL mycelium.verify_replica('s-count', r.node_id)
 WHERE r.shard_id = 's-count' ORDER BY node_id;

SELECT mycelium.set_replica_count('s-count', 1);
SELECT count(*) AS replicas FROM mycelium.replicas WHERE shard_id = 's-count';
SELECT replicas AS wanted FROM mycelium.shards WHERE shard_id = 's-count';
-- Exactly one of node-2 and node-3 still holds a copy.
\c mycelium postgres 127.0.0.1 :port2
SELECT count(*) AS copy_on_2 FROM mycelium.shards WHERE shard_id = 's-count' \gset
\c mycelium postgres 127.0.0.1 :port3
SELECT count(*) AS copy_on_3 FROM mycelium.shards WHERE shard_id = 's-count' \gset
SELECT :copy_on_2 + :copy_on_3 AS copies;

\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT pg_temp.error_of($$SELECT mycelium.set_replica_count('s-count', -1)$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_replica_count('no-such', 1)$$);
