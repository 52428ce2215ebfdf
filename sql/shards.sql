-- Shards are LIST partitions of mycelium.data, recorded in mycelium.shards.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

SELECT mycelium.create_shard('alpha');
SELECT mycelium.create_shard('beta', replicas => 2);
-- Only validator-2 may write shard "gamma".
SELECT mycelium.create_shard('gamma', validators => ARRAY['validator-2']);
-- Without an id, a unique one is generated.
SELECT mycelium.create_shard(replicas => 0) ~ '^shard_[0-9a-f]{16}$' AS generated_id_looks_right;
SELECT count(*) AS generated FROM mycelium.shards WHERE shard_id LIKE 'shard\_%';

SELECT shard_id, partition, replicas, validators, head_seq
  FROM mycelium.shards WHERE shard_id IN ('alpha', 'beta', 'gamma') ORDER BY shard_id;

-- Each partition has a unique index on key and verifying triggers that fire ALWAYS
-- (also under session_replication_role = replica).
SELECT c.relname, t.tgname, t.tgenabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relname IN ('data_alpha', 'data_beta') AND NOT t.tgisinternal
 ORDER BY 1, 2;
SELECT indexrelid::regclass AS index, indisunique FROM pg_index
 WHERE indrelid = 'mycelium.data_alpha'::regclass;

-- Rejections: a duplicate shard, a malformed id, a bad replica count, an unknown validator.
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('alpha')$$);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('Alpha!')$$);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('delta', replicas => -1)$$);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('delta', validators => ARRAY['miner-1'])$$);
SELECT pg_temp.error_of($$SELECT mycelium.drop_shard('no-such-shard')$$);

-- A query for one shard reads one partition.
EXPLAIN (COSTS OFF) SELECT * FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'k';
EXPLAIN (COSTS OFF) SELECT count(*) FROM mycelium.data WHERE shard_id = 'beta';

-- An empty shard drops without force.
SELECT mycelium.create_shard('scratch');
SELECT mycelium.drop_shard('scratch');
SELECT to_regclass('mycelium.data_scratch') AS partition_after_drop;

-- Two shards created in one statement each return their own id.
SELECT mycelium.create_shard('pair-a') AS a, mycelium.create_shard('pair-b') AS b;
SELECT mycelium.drop_shard('pair-a'), mycelium.drop_shard('pair-b');

-- Malformed ids in the other shard functions: 22023 naming the field, never a constraint's 23514.
SELECT pg_temp.error_of($$SELECT mycelium.attach_remote_shard('Bad Shard', 'validator-1')$$);
SELECT pg_temp.error_of($$SELECT mycelium.attach_remote_shard(repeat('x', 100), 'validator-1')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_replica_count(NULL, 1)$$);
-- add_replica says who the node is before anything about credentials.
SELECT pg_temp.error_of($$SELECT mycelium.add_replica('alpha', 'nobody')$$);
SELECT pg_temp.error_of($$SELECT mycelium.add_replica('alpha', 'validator-3')$$);
-- detach_remote_shard is for attached remote shards only: alpha is this node's primary (MC017).
SELECT pg_temp.error_of($$SELECT mycelium.detach_remote_shard('alpha')$$);
