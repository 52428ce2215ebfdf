-- Every statement form that writes records changes the log exactly as it changes the data: one
-- audit entry per change that took effect, none for a row a statement skipped, never one change
-- twice. Forms that cannot be verified are refused and change nothing.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('forms', replicas => 0);
-- What the shard holds, and its log.
CREATE FUNCTION pg_temp.state() RETURNS TABLE (what text, key text, version integer, value jsonb)
LANGUAGE sql AS $$
  SELECT 'record', d.key, d.version, d.value FROM mycelium.data d WHERE d.shard_id = 'forms'
  UNION ALL
  SELECT 'tombstone', t.key, t.version, NULL FROM mycelium.tombstones t WHERE t.shard_id = 'forms'
  ORDER BY 1, 2 $$;
CREATE FUNCTION pg_temp.log() RETURNS TABLE (seq bigint, op text, key text, version integer)
LANGUAGE sql AS $$
  SELECT c.seq, c.op, c.key, c.version FROM mycelium.audit_log c WHERE c.shard_id = 'forms'
   ORDER BY c.seq $$;
\set QUIET off

\set a1 `:sign put validator-1 forms a 1 '{"n":1}'`
\set a2 `:sign put validator-1 forms a 2 '{"n":2}'`
\set a3 `:sign put validator-1 forms a 3 '{"n":3}'`
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'a', '{"n":1}', 1, 'validator-1', :'a1');

-- INSERT ... ON CONFLICT DO NOTHING of a genuinely signed version 2 of an existing key: the row
-- is skipped, so nothing is logged (the log used to gain "put v2" with the record still at 1).
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'a', '{"n":2}', 2, 'validator-1', :'a2') ON CONFLICT DO NOTHING;
SELECT * FROM pg_temp.state();
SELECT * FROM pg_temp.log();
-- The same signed put through put(): applied and logged once.
SELECT mycelium.put('forms', 'a', '{"n":2}', 2, 'validator-1', :'a2');
SELECT * FROM pg_temp.log();

-- INSERT ... ON CONFLICT (key) DO UPDATE on the shard's partition: one change, one entry (the
-- INSERT and UPDATE triggers used to log it twice).
INSERT INTO mycelium.data_forms AS d (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'a', '{"n":3}', 3, 'validator-1', :'a3')
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
                                  created_by = EXCLUDED.created_by, signature = EXCLUDED.signature;
SELECT * FROM pg_temp.state();
SELECT * FROM pg_temp.log();
-- An upsert whose update would not be the next version is refused, and changes nothing.
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data_forms (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'a', '{"n":2}', 2, 'validator-1', %L)
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
                                  signature = EXCLUDED.signature$$, :'a2'));
-- An upsert of a key that does not exist yet is an insert: one entry.
\set b1 `:sign put validator-2 forms b 1 '"bee"'`
INSERT INTO mycelium.data_forms (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'b', '"bee"', 1, 'validator-2', :'b1')
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version;
SELECT * FROM pg_temp.log() WHERE seq > 3;

-- Deleting a key that was deleted and created again (put 1, delete 2, put 3, delete 4):
-- mycelium.delete() upserts the tombstone, and used to fail with MC011.
\set c1 `:sign put validator-1 forms c 1 '1'`
\set c2 `:sign delete validator-1 forms c 2`
\set c3 `:sign put validator-1 forms c 3 '3'`
\set c4 `:sign delete validator-1 forms c 4`
\set c5 `:sign put validator-1 forms c 5 '5'`
\set c6 `:sign delete validator-1 forms c 6`
SELECT mycelium.put('forms', 'c', '1', 1, 'validator-1', :'c1');
SELECT mycelium.delete('forms', 'c', 2, 'validator-1', :'c2');
SELECT mycelium.put('forms', 'c', '3', 3, 'validator-1', :'c3');
SELECT mycelium.delete('forms', 'c', 4, 'validator-1', :'c4');
SELECT * FROM pg_temp.state() WHERE key = 'c';
SELECT * FROM pg_temp.log() WHERE key = 'c';
SELECT mycelium.current_version('forms', 'c');

-- A stale tombstone cannot be used to replay: with c at 5 and its tombstone at 4, a signed
-- delete 6 inserted ON CONFLICT DO NOTHING is skipped, so nothing changes at all (it used to
-- delete the record and log it while the tombstone stayed behind, letting put 5 be replayed).
SELECT mycelium.put('forms', 'c', '5', 5, 'validator-1', :'c5');
INSERT INTO mycelium.tombstones (shard_id, key, version, created_by, signature)
  VALUES ('forms', 'c', 6, 'validator-1', :'c6') ON CONFLICT DO NOTHING;
SELECT * FROM pg_temp.state() WHERE key = 'c';
SELECT count(*) AS entries FROM pg_temp.log();
-- A tombstone's version never goes backwards: moving it to an old version is refused.
SELECT pg_temp.error_of(format($$UPDATE mycelium.tombstones SET version = 2, signature = %L WHERE shard_id = 'forms' AND key = 'c'$$, :'c2'));
SELECT pg_temp.error_of($$UPDATE mycelium.tombstones SET deleted_at = now() WHERE shard_id = 'forms' AND key = 'c'$$);
-- Moving it to the next version with that version's signed delete is a delete, logged once.
UPDATE mycelium.tombstones SET version = 6, signature = :'c6' WHERE shard_id = 'forms' AND key = 'c';
SELECT * FROM pg_temp.state() WHERE key = 'c';
SELECT * FROM pg_temp.log() WHERE key = 'c';
-- The public put 5 cannot bring c back.
SELECT pg_temp.error_of(format($$SELECT mycelium.put('forms', 'c', '5', 5, 'validator-1', %L)$$, :'c5'));
SELECT mycelium.current_version('forms', 'c');

-- MERGE: one statement inserting one key and updating another, one entry each.
\set b2 `:sign put validator-2 forms b 2 '"bee2"'`
\set d1 `:sign put validator-2 forms d 1 '"dee"'`
MERGE INTO mycelium.data t
USING (VALUES ('b', '"bee2"'::jsonb, 2, :'b2'), ('d', '"dee"'::jsonb, 1, :'d1')) s(key, value, version, signature)
   ON t.shard_id = 'forms' AND t.key = s.key
 WHEN MATCHED THEN UPDATE SET value = s.value, version = s.version, created_by = 'validator-2', signature = s.signature
 WHEN NOT MATCHED THEN INSERT (shard_id, key, value, version, created_by, signature)
                       VALUES ('forms', s.key, s.value, s.version, 'validator-2', s.signature);
SELECT * FROM pg_temp.log() WHERE key IN ('b', 'd');
-- MERGE ... DELETE is an unsigned delete: refused.
SELECT pg_temp.error_of($$MERGE INTO mycelium.data t USING (VALUES ('d')) s(key) ON t.shard_id = 'forms' AND t.key = s.key WHEN MATCHED THEN DELETE$$);

-- A writable CTE: the same checks, one entry per row written.
\set e1 `:sign put validator-1 forms e 1 '"e"'`
WITH written AS (
  INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'e', '"e"', 1, 'validator-1', :'e1') RETURNING key, version)
SELECT * FROM written;
SELECT pg_temp.error_of(format($$WITH w AS (UPDATE mycelium.data SET value = '"forged"', version = 2 WHERE shard_id = 'forms' AND key = 'e' RETURNING 1) SELECT count(*) FROM w$$));

-- COPY: every row verified and logged; one bad row (h carries g's signature) and the whole
-- COPY is refused.
\set f1 `:sign put validator-1 forms f 1 '"f"'`
\set g1 `:sign put validator-1 forms g 1 '"g"'`
SELECT '/tmp/mycelium-forms-' || pg_backend_pid() AS copyfile \gset
SELECT concat_ws(E'\t', 'forms', r.key, r.value, 1, 'validator-1', r.sig)
  FROM (VALUES ('f', '"f"', :'f1'), ('h', '"h"', :'g1')) r(key, value, sig)
  \g (format=unaligned tuples_only) :copyfile-bad.tsv
SELECT concat_ws(E'\t', 'forms', r.key, r.value, 1, 'validator-1', r.sig)
  FROM (VALUES ('f', '"f"', :'f1'), ('g', '"g"', :'g1')) r(key, value, sig)
  \g (format=unaligned tuples_only) :copyfile-ok.tsv
SELECT pg_temp.error_of(format('COPY mycelium.data (shard_id, key, value, version, created_by, signature) FROM %L', :'copyfile' || '-bad.tsv'));
SELECT count(*) AS f_or_h FROM mycelium.data WHERE shard_id = 'forms' AND key IN ('f', 'h');
\set ECHO none
SELECT format('COPY mycelium.data (shard_id, key, value, version, created_by, signature) FROM %L', :'copyfile' || '-ok.tsv') \gexec
\set ECHO all
SELECT * FROM pg_temp.log() WHERE key IN ('f', 'g');
\! rm -f /tmp/mycelium-forms-*.tsv

-- A multi-row INSERT with one forged row: the statement is refused, nothing of it stays.
\set i1 `:sign put validator-1 forms i 1 '"i"'`
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('forms', 'i', '"i"', 1, 'validator-1', %L), ('forms', 'j', '"j"', 1, 'validator-1', %L)$$, :'i1', :'i1'));
SELECT count(*) AS i_or_j FROM mycelium.data WHERE shard_id = 'forms' AND key IN ('i', 'j');

-- One statement writing a key twice through both tables (a writable CTE inserting a tombstone
-- for version 3 while the main UPDATE puts version 2): AFTER ROW triggers see the statement's
-- final state, so the delete's check passed against the new row and the put was logged after
-- the delete. Refused now (21000), nothing of it stays.
\set k1 `:sign put validator-1 forms k 1 '1'`
\set k2 `:sign put validator-1 forms k 2 '2'`
\set k3 `:sign delete validator-1 forms k 3`
SELECT mycelium.put('forms', 'k', '1', 1, 'validator-1', :'k1');
SELECT pg_temp.error_of(format($$WITH t AS (INSERT INTO mycelium.tombstones (shard_id, key, version, created_by, signature)
    VALUES ('forms', 'k', 3, 'validator-1', %L) RETURNING 1)
  UPDATE mycelium.data SET value = '2', version = 2, signature = %L
   WHERE shard_id = 'forms' AND key = 'k' AND EXISTS (SELECT FROM t)$$, :'k3', :'k2'));
SELECT * FROM pg_temp.state() WHERE key = 'k';
SELECT * FROM pg_temp.log() WHERE key = 'k';

-- After all of it, the log and the records agree, and the chain verifies.
SELECT * FROM pg_temp.state();
SELECT * FROM pg_temp.log();
SELECT valid, entries, reason FROM mycelium.verify_audit('forms');
