-- What a superuser does behind the triggers' back is not prevented, but verify_audit finds it:
-- the chain (links, hashes, the primary's link signatures, the head) and every record and
-- tombstone against the log's latest entry for its key. Each tampering below is made with the
-- triggers disabled, checked, and put back. Uses shard "forms" from statement_forms.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
CREATE FUNCTION pg_temp.verdict() RETURNS TABLE (valid boolean, broken_key text, reason text)
LANGUAGE sql AS $$
  -- This node's name is its system identifier (no set_local_node here): masked.
  SELECT v.valid, c.key, regexp_replace(v.reason, 'pg-[0-9]+', 'pg-<sysid>')
    FROM mycelium.verify_audit('forms') v
    LEFT JOIN mycelium.audit_log c ON c.change_id = v.first_broken_change_id $$;
\set QUIET off
SELECT * FROM pg_temp.verdict();

-- A record rolled back to an older, genuinely signed version: every signature still verifies,
-- but the log's latest entry for the key is version 3.
\set a2 `:sign put validator-1 forms a 2 '{"n":2}'`
SELECT signature AS a3 FROM mycelium.data WHERE shard_id = 'forms' AND key = 'a' \gset
ALTER TABLE mycelium.data DISABLE TRIGGER guard_data_change;
ALTER TABLE mycelium.data DISABLE TRIGGER verify_data_change;
UPDATE mycelium.data SET value = '{"n":2}', version = 2, signature = :'a2' WHERE shard_id = 'forms' AND key = 'a';
SELECT mycelium.verify_signature(m.public_key, mycelium.signing_payload('put', 'forms', 'a', d.value, d.version, d.created_by), d.signature) AS record_signature_verifies
  FROM mycelium.data d JOIN mycelium.node_metadata m ON m.node_id = d.created_by WHERE d.shard_id = 'forms' AND d.key = 'a';
SELECT * FROM pg_temp.verdict();
-- A value edited in place (the version and signature kept):
UPDATE mycelium.data SET value = '{"n":30}', version = 3, signature = :'a3' WHERE shard_id = 'forms' AND key = 'a';
SELECT * FROM pg_temp.verdict();
UPDATE mycelium.data SET value = '{"n":3}' WHERE shard_id = 'forms' AND key = 'a';
-- A record removed, and one added without an entry:
DELETE FROM mycelium.data WHERE shard_id = 'forms' AND key = 'b';
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'zz', '1', 1, 'validator-1', repeat('0', 128));
SELECT * FROM pg_temp.verdict();
DELETE FROM mycelium.data WHERE shard_id = 'forms' AND key = 'zz';
INSERT INTO mycelium.data SELECT c.key, c.value, c.version, c.created_by, c.signature, c.shard_id
  FROM mycelium.audit_log c WHERE c.shard_id = 'forms' AND c.key = 'b' ORDER BY c.seq DESC LIMIT 1;
-- A deleted key brought back (its tombstone removed, its last put restored):
INSERT INTO mycelium.data SELECT c.key, c.value, c.version, c.created_by, c.signature, c.shard_id
  FROM mycelium.audit_log c WHERE c.shard_id = 'forms' AND c.key = 'c' AND c.op = 'put' ORDER BY c.seq DESC LIMIT 1;
ALTER TABLE mycelium.tombstones DISABLE TRIGGER guard_tombstone_change;
ALTER TABLE mycelium.tombstones DISABLE TRIGGER verify_tombstone;
CREATE TEMP TABLE tomb AS SELECT * FROM mycelium.tombstones WHERE shard_id = 'forms';
DELETE FROM mycelium.tombstones WHERE shard_id = 'forms';
SELECT * FROM pg_temp.verdict();
DELETE FROM mycelium.data WHERE shard_id = 'forms' AND key = 'c';
INSERT INTO mycelium.tombstones SELECT * FROM tomb;
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER guard_tombstone_change;
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER verify_tombstone;
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER guard_data_change;
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER verify_data_change;
SELECT * FROM pg_temp.verdict();

-- A chain link whose primary's signature was replaced (here by validator-2's signature of the
-- same link): the hashes all match, the link signature does not.
SELECT seq, encode(entry_hash, 'hex') AS link_hash, origin_node AS origin, link_signature AS genuine_link
  FROM mycelium.audit_log WHERE shard_id = 'forms' AND key = 'd' \gset
\set forged_link `:sign link validator-2 forms :seq :link_hash :origin`
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET link_signature = :'forged_link' WHERE shard_id = 'forms' AND key = 'd';
SELECT * FROM pg_temp.verdict();
UPDATE mycelium.audit_log SET link_signature = :'genuine_link' WHERE shard_id = 'forms' AND key = 'd';
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
SELECT * FROM pg_temp.verdict();
