-- Signed writes: every INSERT, UPDATE and DELETE of a record is verified by the database.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

-- The client asks for the exact bytes (or computes them itself, schemas/SIGNING.md) and signs.
SELECT mycelium.signing_payload('put', 'alpha', 'greeting', '{"text": "hello", "n": 1.50}', 1, 'validator-1');
SELECT mycelium.canonical_json('{"text": "hello", "n": 1.50}');
SELECT encode(mycelium.signing_payload('put', 'alpha', 'greeting', '{"text": "hello", "n": 1.50}', 1, 'validator-1'), 'hex') AS payload \gset
\set put1 `:sign sign validator-1 :payload`
SELECT mycelium.put('alpha', 'greeting', '{"text": "hello", "n": 1.50}', 1, 'validator-1', :'put1');
SELECT * FROM mycelium.get('alpha', 'greeting');

-- Version 2, by another validator.
SELECT encode(mycelium.signing_payload('put', 'alpha', 'greeting', '{"text": "hi"}', 2, 'validator-2'), 'hex') AS payload \gset
\set put2 `:sign sign validator-2 :payload`
SELECT mycelium.put('alpha', 'greeting', '{"text": "hi"}', 2, 'validator-2', :'put2');
SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'alpha';

-- A plain INSERT or UPDATE with a valid signature passes the same checks.
SELECT encode(mycelium.signing_payload('put', 'alpha', 'plain', '[1, 2, 3]', 1, 'validator-1'), 'hex') AS payload \gset
\set plain1 `:sign sign validator-1 :payload`
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('alpha', 'plain', '[1, 2, 3]', 1, 'validator-1', :'plain1');
SELECT encode(mycelium.signing_payload('put', 'alpha', 'plain', '[4]', 2, 'validator-1'), 'hex') AS payload \gset
\set plain2 `:sign sign validator-1 :payload`
UPDATE mycelium.data SET value = '[4]', version = 2, signature = :'plain2'
 WHERE shard_id = 'alpha' AND key = 'plain';
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'alpha' ORDER BY key;

-- Each rejection has its own SQLSTATE, and nothing is written.
SELECT encode(mycelium.signing_payload('put', 'alpha', 'greeting', '{"text": "v3"}', 3, 'validator-1'), 'hex') AS payload \gset
\set put3 `:sign sign validator-1 :payload`
-- a signature by another key (validator-2 signed, validator-1 claimed):
\set put3_by_v2 `:sign sign validator-2 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "v3"}', 3, 'validator-1', %L)$$, :'put3_by_v2'));
-- a tampered value:
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "v3!"}', 3, 'validator-1', %L)$$, :'put3'));
-- a replayed old version (version 1's valid signature, sent again):
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "hello", "n": 1.50}', 1, 'validator-1', %L)$$, :'put1'));
-- a skipped version (4 when 3 is next):
SELECT encode(mycelium.signing_payload('put', 'alpha', 'greeting', '{"text": "v4"}', 4, 'validator-1'), 'hex') AS payload \gset
\set put4 `:sign sign validator-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "v4"}', 4, 'validator-1', %L)$$, :'put4'));
-- an unknown signer:
SELECT encode(mycelium.signing_payload('put', 'alpha', 'x', '1', 1, 'stranger'), 'hex') AS payload \gset
\set stranger `:sign sign stranger :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'x', '1', 1, 'stranger', %L)$$, :'stranger'));
-- an inactive signer (validator-3 was deactivated):
SELECT encode(mycelium.signing_payload('put', 'alpha', 'x', '1', 1, 'validator-3'), 'hex') AS payload \gset
\set inactive `:sign sign validator-3 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'x', '1', 1, 'validator-3', %L)$$, :'inactive'));
-- a miner as signer:
SELECT encode(mycelium.signing_payload('put', 'alpha', 'x', '1', 1, 'miner-1'), 'hex') AS payload \gset
\set by_miner `:sign sign miner-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'x', '1', 1, 'miner-1', %L)$$, :'by_miner'));
-- a validator that is not responsible for the shard (gamma names only validator-2):
SELECT encode(mycelium.signing_payload('put', 'gamma', 'x', '1', 1, 'validator-1'), 'hex') AS payload \gset
\set not_responsible `:sign sign validator-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('gamma', 'x', '1', 1, 'validator-1', %L)$$, :'not_responsible'));
-- malformed signatures and NULLs:
SELECT pg_temp.error_of($$SELECT mycelium.put('alpha', 'x', '1', 1, 'validator-1', 'abc')$$);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'x', '1', 1, 'validator-1', %L)$$, upper(:'put3')));
SELECT pg_temp.error_of($$SELECT mycelium.put('alpha', 'x', '1', 1, 'validator-1', NULL)$$);
SELECT pg_temp.error_of($$SELECT mycelium.put('alpha', 'x', NULL, 1, 'validator-1', 'ab')$$);
-- an unknown shard, and a version out of range:
SELECT pg_temp.error_of(format($$SELECT mycelium.put('nowhere', 'x', '1', 1, 'validator-1', %L)$$, :'put3'));
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'x', '1', 0, 'validator-1', %L)$$, :'put3'));
-- a value whose canonical form is ambiguous (more than 15 significant digits):
SELECT pg_temp.error_of($$SELECT mycelium.canonical_json('{"pi": 3.14159265358979323}')$$);
-- shard_id and key never change on UPDATE, even with a valid signature for the new row:
SELECT pg_temp.error_of(format($$UPDATE mycelium.data SET key = 'renamed', version = 3, signature = %L WHERE shard_id = 'alpha' AND key = 'greeting'$$, :'put3'));
SELECT pg_temp.error_of(format($$UPDATE mycelium.data SET shard_id = 'beta', version = 3, signature = %L WHERE shard_id = 'alpha' AND key = 'greeting'$$, :'put3'));
-- a plain DELETE (no signed tombstone):
SELECT pg_temp.error_of($$DELETE FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'greeting'$$);
-- session_replication_role = replica does not switch the checks off:
SET session_replication_role = replica;
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "v3!"}', 3, 'validator-1', %L)$$, :'put3'));
SELECT pg_temp.error_of($$DELETE FROM mycelium.data WHERE shard_id = 'alpha'$$);
RESET session_replication_role;

-- None of that changed anything.
SELECT key, value, version, created_by FROM mycelium.data WHERE shard_id = 'alpha' ORDER BY key;
SELECT count(*) AS audit_entries FROM mycelium.audit_log WHERE shard_id = 'alpha';

-- The valid version 3 is accepted.
SELECT mycelium.put('alpha', 'greeting', '{"text": "v3"}', 3, 'validator-1', :'put3');

-- A signed delete is version 4; the key keeps it, so no old put can bring the key back.
SELECT encode(mycelium.signing_payload('delete', 'alpha', 'greeting', NULL, 4, 'validator-2'), 'hex') AS payload \gset
\set del4 `:sign sign validator-2 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.delete('alpha', 'greeting', 4, 'validator-1', %L)$$, :'del4'));
SELECT mycelium.delete('alpha', 'greeting', 4, 'validator-2', :'del4');
SELECT count(*) AS live FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'greeting';
SELECT shard_id, key, version, created_by FROM mycelium.tombstones;
SELECT mycelium.current_version('alpha', 'greeting');
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'greeting', '{"text": "v3"}', 3, 'validator-1', %L)$$, :'put3'));
SELECT pg_temp.error_of(format($$SELECT mycelium.delete('alpha', 'greeting', 4, 'validator-2', %L)$$, :'del4'));
SELECT pg_temp.error_of($$DELETE FROM mycelium.tombstones$$);
-- A new signed version 5 brings the key back.
SELECT encode(mycelium.signing_payload('put', 'alpha', 'greeting', '"back"', 5, 'validator-1'), 'hex') AS payload \gset
\set put5 `:sign sign validator-1 :payload`
SELECT mycelium.put('alpha', 'greeting', '"back"', 5, 'validator-1', :'put5');
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'greeting';

-- drop_shard refuses while the shard holds data, unless forced.
SELECT encode(mycelium.signing_payload('put', 'beta', 'k', 'true', 1, 'validator-1'), 'hex') AS payload \gset
\set beta1 `:sign sign validator-1 :payload`
SELECT mycelium.put('beta', 'k', 'true', 1, 'validator-1', :'beta1');
SELECT pg_temp.error_of($$SELECT mycelium.drop_shard('beta')$$);
SELECT count(*) AS beta_records FROM mycelium.data WHERE shard_id = 'beta';
SELECT mycelium.drop_shard('beta', force => true);
SELECT count(*) AS shards_named_beta FROM mycelium.shards WHERE shard_id = 'beta';

-- A shard created again under the same id starts empty, and its audit chain continues where
-- the dropped shard's ended (seq 2 follows seq 1).
SELECT mycelium.create_shard('beta');
SELECT mycelium.put('beta', 'k', 'true', 1, 'validator-1', :'beta1');
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'beta';
SELECT seq, op, key, version FROM mycelium.audit_log WHERE shard_id = 'beta' ORDER BY seq;
SELECT valid, entries FROM mycelium.verify_audit('beta');
-- Updates and deletes reach the new partition too.
SELECT encode(mycelium.signing_payload('put', 'beta', 'k', 'false', 2, 'validator-1'), 'hex') AS payload \gset
\set beta2 `:sign sign validator-1 :payload`
SELECT mycelium.put('beta', 'k', 'false', 2, 'validator-1', :'beta2');
SELECT encode(mycelium.signing_payload('delete', 'beta', 'k', NULL, 3, 'validator-1'), 'hex') AS payload \gset
\set beta3 `:sign sign validator-1 :payload`
SELECT mycelium.delete('beta', 'k', 3, 'validator-1', :'beta3');
SELECT count(*) AS live_in_beta FROM mycelium.data WHERE shard_id = 'beta';
SELECT valid, entries FROM mycelium.verify_audit('beta');

-- The node signs every audit entry's link with its node key (mycelium.node_key_file). A key that
-- is not the one the local node is registered with is refused (MC015): its replicas would
-- refuse every entry. So is a write with no node key at all.
SELECT node_id AS own_name FROM mycelium.local_node \gset
\set v1_sig `:sign put validator-1 alpha keyed 1 '1'`
SELECT mycelium.set_local_node('validator-1');
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'keyed', '1', 1, 'validator-1', %L)$$, :'v1_sig'));
SELECT mycelium.set_local_node(:'own_name');
ALTER SYSTEM SET mycelium.node_key_file = '';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'keyed', '1', 1, 'validator-1', %L)$$, :'v1_sig'));
ALTER SYSTEM RESET mycelium.node_key_file;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SELECT mycelium.put('alpha', 'keyed', '1', 1, 'validator-1', :'v1_sig');
SELECT key, version FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'keyed';
-- The key file replaced in place, same name: this backend, which has the node key loaded,
-- reads the file again. As node validator-1 it is refused with the original key (MC015); with
-- validator-1's key written over the file it signs; the original content back, refused again.
SELECT current_setting('mycelium.node_key_file') AS key_path,
       pg_read_file(current_setting('mycelium.node_key_file')) AS original_key \gset
\set v1_seed `:sign seed validator-1`
\set v1_public `:sign public validator-1`
\set v1_sig2 `:sign put validator-1 alpha keyed 2 '2'`
SELECT mycelium.set_local_node('validator-1');
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'keyed', '2', 2, 'validator-1', %L)$$, :'v1_sig2'));
COPY (VALUES ('# mycelium ed25519 key file: keep it secret'), ('public_key: ' || :'v1_public'),
             ('secret_seed: ' || :'v1_seed')) TO :'key_path';
SELECT mycelium.put('alpha', 'keyed', '2', 2, 'validator-1', :'v1_sig2');
COPY (SELECT line FROM unnest(string_to_array(rtrim(:'original_key', E'\n'), E'\n')) AS line)
  TO :'key_path';
\set v1_sig3 `:sign put validator-1 alpha keyed 3 '3'`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'keyed', '3', 3, 'validator-1', %L)$$, :'v1_sig3'));
SELECT mycelium.set_local_node(:'own_name');
