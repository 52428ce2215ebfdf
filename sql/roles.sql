-- Roles: validators read and write (through the checks), miners only read, admins manage
-- nodes and shards. An operator gives each node a LOGIN role in one of the groups.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

CREATE ROLE regress_validator_1 LOGIN IN ROLE mycelium_validator;
CREATE ROLE regress_miner_1 LOGIN IN ROLE mycelium_miner;
CREATE ROLE regress_admin LOGIN IN ROLE mycelium_admin;

-- A validator writes through mycelium.put and plain INSERT alike.
SELECT encode(mycelium.signing_payload('put', 'alpha', 'by-role', '{"ok": true}', 1, 'validator-1'), 'hex') AS payload \gset
\set role_put `:sign sign validator-1 :payload`
SET ROLE regress_validator_1;
SELECT mycelium.put('alpha', 'by-role', '{"ok": true}', 1, 'validator-1', :'role_put');
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'by-role';
-- ... but cannot touch the audit log, nodes or shards.
SELECT pg_temp.error_of($$UPDATE mycelium.audit_log SET push_state = 'synced'$$);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('validator-made')$$);
SELECT pg_temp.error_of($$UPDATE mycelium.node_metadata SET stake = 1000$$);
RESET ROLE;

-- A miner reads everything ...
SELECT encode(mycelium.signing_payload('put', 'alpha', 'by-miner', '1', 1, 'validator-1'), 'hex') AS payload \gset
\set miner_put `:sign sign validator-1 :payload`
SET ROLE regress_miner_1;
SELECT key, version FROM mycelium.data WHERE shard_id = 'alpha' ORDER BY key;
SELECT value FROM mycelium.get('alpha', 'by-role');
SELECT valid FROM mycelium.verify_audit('alpha');
-- ... and every write attempt is 42501, even one carrying a valid validator signature.
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'by-miner', '1', 1, 'validator-1', %L)$$, :'miner_put'));
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data VALUES ('by-miner', '1', 1, 'validator-1', %L, 'alpha')$$, :'miner_put'));
SELECT pg_temp.error_of($$UPDATE mycelium.data SET value = '2' WHERE shard_id = 'alpha'$$);
SELECT pg_temp.error_of($$DELETE FROM mycelium.data WHERE shard_id = 'alpha'$$);
SELECT pg_temp.error_of($$SELECT mycelium.delete('alpha', 'by-role', 2, 'validator-1', 'ab')$$);
SELECT pg_temp.error_of($$INSERT INTO mycelium.tombstones VALUES ('alpha', 'by-role', 2, 'validator-1', 'ab')$$);
SELECT pg_temp.error_of($$TRUNCATE mycelium.data$$);
SELECT pg_temp.error_of($$INSERT INTO mycelium.data_alpha VALUES ('by-miner', '1', 1, 'validator-1', 'ab', 'alpha')$$);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('miner-made')$$);
SELECT pg_temp.error_of($$SELECT mycelium.deactivate_node('validator-1')$$);
RESET ROLE;
SELECT count(*) AS by_miner FROM mycelium.data WHERE key = 'by-miner';

-- An admin manages shards and nodes, but writes no records.
SET ROLE regress_admin;
SELECT mycelium.create_shard('admin-made');
SELECT mycelium.drop_shard('admin-made');
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'by-miner', '1', 1, 'validator-1', %L)$$, :'miner_put'));
RESET ROLE;

DROP ROLE regress_validator_1, regress_miner_1, regress_admin;
