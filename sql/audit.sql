-- The audit log: every accepted change, chained per shard; nobody can rewrite it unnoticed.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

-- Every accepted put and delete of shard alpha, in order (rejected writes left nothing).
SELECT seq, op, key, version, created_by, push_state, attempts, length(entry_hash) AS hash_bytes
  FROM mycelium.audit_log WHERE shard_id = 'alpha' ORDER BY seq;
-- Each entry links to the previous one; the first links to 32 zero bytes.
SELECT bool_and(c.prev_hash = COALESCE(p.entry_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)) AS linked
  FROM mycelium.audit_log c
  LEFT JOIN mycelium.audit_log p ON p.shard_id = c.shard_id AND p.seq = c.seq - 1
 WHERE c.shard_id = 'alpha';
SELECT * FROM mycelium.verify_audit('alpha');
SELECT pg_temp.error_of($$SELECT * FROM mycelium.verify_audit('no-such-shard')$$);

-- The log is append-only, for the superuser too, while the guard trigger is on.
SELECT pg_temp.error_of($$UPDATE mycelium.audit_log SET value = '"forged"' WHERE shard_id = 'alpha' AND seq = 1$$);
SELECT pg_temp.error_of($$DELETE FROM mycelium.audit_log WHERE shard_id = 'alpha'$$);
SELECT pg_temp.error_of($$TRUNCATE mycelium.audit_log$$);
SELECT pg_temp.error_of($$INSERT INTO mycelium.audit_log (shard_id, seq, op, key, version, created_by, signature, created_at, origin_node, prev_hash, entry_hash) VALUES ('alpha', 99, 'put', 'k', 1, 'validator-1', 'ab', now(), 'x', '\x00', '\x00')$$);

-- A superuser who disables the guard can change an entry, but verify_audit finds the first
-- broken link.
BEGIN;
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET value = '{"text": "forged"}' WHERE shard_id = 'alpha' AND seq = 2;
SELECT valid, entries, first_broken_change_id = (SELECT change_id FROM mycelium.audit_log WHERE shard_id = 'alpha' AND seq = 2) AS points_at_seq_2, reason
  FROM mycelium.verify_audit('alpha');
ROLLBACK;

-- Recomputing that entry's hash does not help: the next link no longer matches.
BEGIN;
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET version = 7 WHERE shard_id = 'alpha' AND seq = 2;
UPDATE mycelium.audit_log SET entry_hash = sha256(entry_hash) WHERE shard_id = 'alpha' AND seq = 2;
SELECT valid, entries, reason FROM mycelium.verify_audit('alpha');
ROLLBACK;

-- Removing the newest entry is caught against the shard's recorded chain head.
BEGIN;
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
DELETE FROM mycelium.audit_log WHERE shard_id = 'alpha' AND seq = (SELECT max(seq) FROM mycelium.audit_log WHERE shard_id = 'alpha');
SELECT valid, reason FROM mycelium.verify_audit('alpha');
ROLLBACK;

-- Removing an entry in the middle breaks the sequence.
BEGIN;
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
DELETE FROM mycelium.audit_log WHERE shard_id = 'alpha' AND seq = 3;
SELECT valid, entries, reason FROM mycelium.verify_audit('alpha');
ROLLBACK;

-- Untouched, the chain still verifies.
SELECT valid, reason FROM mycelium.verify_audit('alpha');
