-- add_replica on a shard that already holds data: the replica receives the shard's whole
-- audit chain, verifies every entry, and ends with the same records, digest and chain head.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql

\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-init', replicas => 0);
\set shard s-init
\set prefix k
\set count 20
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
-- a second version of two keys, and a signed delete, so the chain holds all three kinds
\set count 2
\set version 2
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT encode(mycelium.signing_payload('delete', 's-init', 'k20', NULL, 2, 'node-1'), 'hex') AS payload \gset
\set del `:sign sign node-1 :payload`
SELECT mycelium.delete('s-init', 'k20', 2, 'node-1', :'del');
SELECT (SELECT count(*) FROM mycelium.data WHERE shard_id = 's-init') AS records,
       (SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-init') AS head;

SELECT mycelium.add_replica('s-init', 'node-2');
SELECT shard_id, node_id, status, last_pushed_seq, lag_changes, attempts, last_error
  FROM mycelium.push_status WHERE shard_id = 's-init';
SELECT local_records, remote_records, local_head, remote_head, match,
       local_digest = remote_digest AS digests_equal
  FROM mycelium.verify_replica('s-init', 'node-2');
SELECT push_state, count(*) FROM mycelium.audit_log WHERE shard_id = 's-init' GROUP BY 1;
-- Adding it twice is refused.
SELECT pg_temp.error_of($$SELECT mycelium.add_replica('s-init', 'node-2')$$);

-- On node-2 the copy is a replica: the same records, and the primary's chain, which verifies.
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT shard_id, kind, primary_node, head_seq FROM mycelium.shards WHERE shard_id = 's-init';
SELECT key, value, version FROM mycelium.data WHERE shard_id = 's-init' AND key IN ('k1', 'k2', 'k3', 'k20') ORDER BY key;
SELECT count(*) AS records FROM mycelium.data WHERE shard_id = 's-init';
SELECT * FROM mycelium.verify_audit('s-init');
SELECT count(*) AS rejections FROM mycelium.inbox_rejections;
-- A replica is read-only for everyone, the superuser included: it changes only through the inbox.
SELECT encode(mycelium.signing_payload('put', 's-init', 'k1', '{"n": 99}', 3, 'node-1'), 'hex') AS payload \gset
\set put3 `:sign sign node-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-init', 'k1', '{"n": 99}', 3, 'node-1', %L)$$, :'put3'));
SELECT pg_temp.error_of($$DELETE FROM mycelium.data WHERE shard_id = 's-init'$$);
SELECT pg_temp.error_of($$SELECT mycelium.drop_shard('s-init', true)$$);
-- The replicator role may deliver to the inbox and read the chain heads, nothing else.
SET ROLE sync_node_1;
SELECT pg_temp.error_of($$SELECT count(*) FROM mycelium.data$$);
SELECT pg_temp.error_of($$SELECT count(*) FROM mycelium.audit_log$$);
SELECT shard_id, kind, head_seq FROM mycelium.chain_heads WHERE shard_id = 's-init';
RESET ROLE;
