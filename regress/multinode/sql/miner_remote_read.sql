-- A miner node reads a shard it does not store: attach_remote_shard makes it a foreign
-- partition of mycelium.data, so an ordinary SELECT with shard_id = … is answered by the
-- primary (EXPLAIN shows the Foreign Scan); it cannot be written; detach undoes it.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port3
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT count(*) AS local_before FROM mycelium.data WHERE shard_id = 's-init';
SELECT mycelium.attach_remote_shard('s-init', 'node-1');
SELECT shard_id, kind, primary_node FROM mycelium.shards WHERE shard_id = 's-init';
EXPLAIN (COSTS OFF) SELECT key, value FROM mycelium.data WHERE shard_id = 's-init' AND key = 'k1';
SELECT key, value, version FROM mycelium.data WHERE shard_id = 's-init' AND key IN ('k1', 'k3') ORDER BY key;
SELECT count(*) AS remote_records FROM mycelium.data WHERE shard_id = 's-init';

-- A miner's login reads it through the ordinary path ...
CREATE ROLE miner_login LOGIN IN ROLE mycelium_miner;
SET ROLE miner_login;
SELECT count(*) AS read_by_miner FROM mycelium.data WHERE shard_id = 's-init';
-- ... and cannot write it, nor can anyone else here.
SELECT pg_temp.error_of($$INSERT INTO mycelium.data VALUES ('x', '1', 1, 'node-1', 'ab', 's-init')$$);
RESET ROLE;
SELECT encode(mycelium.signing_payload('put', 's-init', 'k1', '{"n": 5}', 3, 'node-1'), 'hex') AS payload \gset
\set put3 `:sign sign node-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-init', 'k1', '{"n": 5}', 3, 'node-1', %L)$$, :'put3'));
SELECT pg_temp.error_of($$UPDATE mycelium.data SET version = 9 WHERE shard_id = 's-init'$$);
SELECT pg_temp.error_of($$SELECT mycelium.attach_remote_shard('s-init', 'node-1')$$);

SELECT mycelium.detach_remote_shard('s-init');
SELECT count(*) AS after_detach FROM mycelium.data WHERE shard_id = 's-init';
SELECT pg_temp.error_of($$SELECT mycelium.detach_remote_shard('s-init')$$);
DROP ROLE miner_login;
