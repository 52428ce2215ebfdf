-- A hostile corpus: what each login may try (validator, miner, replicator, admin), by every
-- statement form and SQL path it can reach. Each attempt is refused with its SQLSTATE, and
-- afterwards nothing has changed: records, tombstones, log, heads, replicas' controls. Uses
-- shards "alpha" and "forms" from the earlier tests.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
-- Runs statement as role; returns 'SQLSTATE: message' or 'no error'. SET ROLE happens outside
-- error_of's exception block, so a refusal does not undo it before RESET.
CREATE FUNCTION pg_temp.as_role(role name, statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE format('SET ROLE %I', role);
  result := pg_temp.error_of(statement);
  RESET ROLE;
  RETURN result;
END $$;
CREATE TEMP TABLE before AS
  SELECT 'shard ' || shard_id AS what, head_seq::text || ' ' || encode(head_hash, 'hex') AS state FROM mycelium.shards
  UNION ALL SELECT 'record ' || shard_id || '/' || key, version || ' ' || signature || ' ' || value::text FROM mycelium.data
  UNION ALL SELECT 'tombstone ' || shard_id || '/' || key, version || ' ' || signature FROM mycelium.tombstones
  UNION ALL SELECT 'entry ' || change_id, entry_hash::text || push_state FROM mycelium.audit_log
  UNION ALL SELECT 'control ' || shard_id, issued_at_us::text FROM mycelium.replica_controls
  UNION ALL SELECT 'node ' || node_id, node_type || is_active || public_key FROM mycelium.node_metadata;
-- A genuine signature of a put of alpha/hostile v1 by validator-1, to show that a valid
-- signature does not open any other door.
\set genuine `:sign put validator-1 alpha hostile 1 '1'`
-- The library is loaded in this session (with shared_preload_libraries it always is): before
-- that, mycelium.node_key_file is an unchecked placeholder that anyone may read.
SELECT mycelium.version() IS NOT NULL AS library_loaded;
CREATE TEMP TABLE attempts (n serial, role name, statement text);
GRANT SELECT ON attempts TO PUBLIC;
\set QUIET off

INSERT INTO attempts (role, statement) VALUES
  -- A validator writes records through the checks, and nothing else.
  ('mycelium_validator', $$INSERT INTO mycelium.audit_log (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature) VALUES ('alpha', 999, 'put', 'k', 1, 'validator-1', 'x', now(), 'x', '\x', '\x', 'x')$$),
  ('mycelium_validator', $$DELETE FROM mycelium.audit_log$$),
  ('mycelium_validator', $$DELETE FROM mycelium.tombstones$$),
  ('mycelium_validator', $$TRUNCATE mycelium.data_forms$$),
  ('mycelium_validator', $$TRUNCATE mycelium.tombstones$$),
  ('mycelium_validator', $$ALTER TABLE mycelium.data DISABLE TRIGGER verify_data_change$$),
  ('mycelium_validator', $$ALTER TABLE mycelium.data_forms DISABLE TRIGGER guard_data_change$$),
  ('mycelium_validator', $$CREATE TRIGGER sneaky BEFORE INSERT ON mycelium.data_forms FOR EACH ROW EXECUTE FUNCTION mycelium.guard_data_change()$$),
  ('mycelium_validator', $$SET session_replication_role = replica$$),
  ('mycelium_validator', $$INSERT INTO mycelium.inbox (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature) VALUES ('alpha', 0, 'close', 'x', 0, '', '', now(), 'x', '\x', '\x', '')$$),
  ('mycelium_validator', $$INSERT INTO mycelium.replica_controls VALUES ('alpha', 'x', 'open', 0, 'x')$$),
  ('mycelium_validator', $$UPDATE mycelium.shards SET head_seq = 0$$),
  ('mycelium_validator', $$UPDATE mycelium.shards SET validators = NULL WHERE shard_id = 'gamma'$$),
  ('mycelium_validator', $$SELECT mycelium.push_now()$$),
  ('mycelium_validator', $$SELECT mycelium._push_round()$$),
  ('mycelium_validator', $$SELECT mycelium.set_local_node('validator-1')$$),
  ('mycelium_validator', $$SELECT mycelium.verify_data_change()$$),
  ('mycelium_validator', $$SELECT * FROM mycelium.peer_credentials$$),
  ('mycelium_validator', $$SELECT current_setting('mycelium.node_key_file')$$),
  -- ... and every write form still goes through the checks:
  ('mycelium_validator', format($$INSERT INTO mycelium.data_forms VALUES ('hostile', '1', 1, 'validator-1', %L, 'alpha')$$, :'genuine')),
  ('mycelium_validator', format($$INSERT INTO mycelium.data VALUES ('hostile', '2', 1, 'validator-1', %L, 'alpha')$$, :'genuine')),
  ('mycelium_validator', format($$INSERT INTO mycelium.data VALUES ('hostile', '1', 1, 'validator-2', %L, 'alpha')$$, :'genuine')),
  ('mycelium_validator', $$UPDATE mycelium.data_forms SET shard_id = 'alpha' WHERE key = 'a'$$),
  ('mycelium_validator', $$UPDATE mycelium.data SET version = version + 1 WHERE shard_id = 'forms' AND key = 'a'$$),
  ('mycelium_validator', $$WITH gone AS (DELETE FROM mycelium.data WHERE shard_id = 'forms' RETURNING 1) SELECT count(*) FROM gone$$),
  ('mycelium_validator', $$DELETE FROM mycelium.data_forms WHERE key = 'a'$$),
  ('mycelium_validator', $$INSERT INTO mycelium.tombstones VALUES ('forms', 'a', 4, 'validator-1', repeat('0', 128))$$),
  ('mycelium_validator', $$UPDATE mycelium.tombstones SET shard_id = 'alpha' WHERE shard_id = 'forms'$$),
  ('mycelium_validator', $$INSERT INTO mycelium.data VALUES ('hostile', '1', 2147483648, 'validator-1', 'ab', 'alpha')$$),
  ('mycelium_validator', $$SELECT mycelium.put('forms', 'a', '1', 4, 'validator-1', repeat('A', 128))$$),
  -- A miner reads; a valid validator signature gives it nothing.
  ('mycelium_miner', format($$SELECT mycelium.put('alpha', 'hostile', '1', 1, 'validator-1', %L)$$, :'genuine')),
  ('mycelium_miner', $$INSERT INTO mycelium.inbox (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature) VALUES ('alpha', 0, 'close', 'x', 0, '', '', now(), 'x', '\x', '\x', '')$$),
  ('mycelium_miner', $$SELECT mycelium.blacklist_add('validator-1', 'x', 'miner-1', 0, 0, repeat('0', 128))$$),
  ('mycelium_miner', $$SELECT mycelium.note_peer_status('validator-1', '{}')$$),
  ('mycelium_miner', $$UPDATE mycelium.tombstones SET version = 9$$),
  -- A replicator delivers to the inbox and reads heads; nothing else.
  ('mycelium_replicator', format($$INSERT INTO mycelium.data VALUES ('hostile', '1', 1, 'validator-1', %L, 'alpha')$$, :'genuine')),
  ('mycelium_replicator', format($$SELECT mycelium.put('alpha', 'hostile', '1', 1, 'validator-1', %L)$$, :'genuine')),
  ('mycelium_replicator', $$INSERT INTO mycelium.tombstones VALUES ('forms', 'a', 4, 'validator-1', repeat('0', 128))$$),
  ('mycelium_replicator', $$INSERT INTO mycelium.audit_log (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature) VALUES ('alpha', 999, 'put', 'k', 1, 'validator-1', 'x', now(), 'x', '\x', '\x', 'x')$$),
  ('mycelium_replicator', $$INSERT INTO mycelium.replica_controls VALUES ('alpha', 'x', 'open', 0, 'x')$$),
  ('mycelium_replicator', $$DELETE FROM mycelium.inbox_rejections$$),
  ('mycelium_replicator', $$UPDATE mycelium.shards SET primary_node = 'x'$$),
  ('mycelium_replicator', $$SELECT * FROM mycelium.data$$),
  ('mycelium_replicator', $$SELECT mycelium.register_node('evil', 'validator', repeat('a', 64), '127.0.0.1', 1, '1', '{}', repeat('b', 128))$$),
  ('mycelium_replicator', $$SELECT mycelium.blacklist_lift('validator-1')$$),
  -- An admin manages nodes and shards, and writes no records or log.
  ('mycelium_admin', format($$INSERT INTO mycelium.data VALUES ('hostile', '1', 1, 'validator-1', %L, 'alpha')$$, :'genuine')),
  ('mycelium_admin', $$INSERT INTO mycelium.inbox (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash, link_signature) VALUES ('alpha', 0, 'close', 'x', 0, '', '', now(), 'x', '\x', '\x', '')$$),
  ('mycelium_admin', $$DELETE FROM mycelium.audit_log$$),
  ('mycelium_admin', $$UPDATE mycelium.shards SET head_seq = 0$$),
  ('mycelium_admin', $$SELECT * FROM mycelium.peer_credentials$$);

SELECT n, role, pg_temp.as_role(role, statement) AS outcome FROM attempts ORDER BY n;

-- Nothing changed, and every shard still verifies.
SELECT * FROM (SELECT 'shard ' || shard_id AS what, head_seq::text || ' ' || encode(head_hash, 'hex') AS state FROM mycelium.shards
  UNION ALL SELECT 'record ' || shard_id || '/' || key, version || ' ' || signature || ' ' || value::text FROM mycelium.data
  UNION ALL SELECT 'tombstone ' || shard_id || '/' || key, version || ' ' || signature FROM mycelium.tombstones
  UNION ALL SELECT 'entry ' || change_id, entry_hash::text || push_state FROM mycelium.audit_log
  UNION ALL SELECT 'control ' || shard_id, issued_at_us::text FROM mycelium.replica_controls
  UNION ALL SELECT 'node ' || node_id, node_type || is_active || public_key FROM mycelium.node_metadata) now
 FULL JOIN before USING (what) WHERE now.state IS DISTINCT FROM before.state;
SELECT s.shard_id, v.valid, v.reason FROM mycelium.shards s, mycelium.verify_audit(s.shard_id) v
 WHERE s.shard_id NOT LIKE 'shard\_%' ORDER BY 1;
