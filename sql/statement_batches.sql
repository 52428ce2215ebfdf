-- A statement's signed rows are verified in one batch at its end (the signatures on every CPU),
-- logged in row order, and its shard's head written once. One bad signature anywhere refuses the
-- whole statement, even when part of it was already logged (a batch holds at most 4,096 rows).
-- Rows of a statement naming a partition are verified one by one and chain onto the same head.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('batches', replicas => 0);
-- 5,000 rows signed by validator-1: k0001 .. k5000 = {"i": n}, version 1.
CREATE TEMP TABLE batch_rows (n integer PRIMARY KEY, key text, value jsonb, signature text);
INSERT INTO batch_rows (n, key, value)
  SELECT i, 'k' || lpad(i::text, 4, '0'), jsonb_build_object('i', i) FROM generate_series(1, 5000) i;
SELECT '/tmp/mycelium-batches-' || pg_backend_pid() AS file \gset
SELECT encode(mycelium.signing_payload('put', 'batches', key, value, 1, 'validator-1'), 'hex')
  FROM batch_rows ORDER BY n
  \g (format=unaligned tuples_only) :file.payloads
\set signatures `:sign sign-many validator-1 < :file.payloads`
UPDATE batch_rows b SET signature = s.signature
  FROM unnest(string_to_array(:'signatures', E'\n')) WITH ORDINALITY AS s(signature, n)
 WHERE b.n = s.n;
-- The shard as a row: records, log entries, the head's seq, and whether the chain verifies.
CREATE FUNCTION pg_temp.shard() RETURNS TABLE (records bigint, entries bigint, head_seq bigint, chain text)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM mycelium.data WHERE shard_id = 'batches'),
         (SELECT count(*) FROM mycelium.audit_log WHERE shard_id = 'batches'),
         (SELECT head_seq FROM mycelium.shards WHERE shard_id = 'batches'),
         (SELECT CASE WHEN valid THEN 'valid' ELSE 'broken: ' || reason END
            FROM mycelium.verify_audit('batches')) $$;
\set QUIET off
SELECT count(*) AS signed FROM batch_rows WHERE length(signature) = 128;

-- 200 rows in one INSERT: every one stored and logged, in row order, the chain whole.
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  SELECT 'batches', key, value, 1, 'validator-1', signature FROM batch_rows WHERE n <= 200 ORDER BY n;
SELECT * FROM pg_temp.shard();
SELECT count(*) AS out_of_order
  FROM mycelium.audit_log a JOIN batch_rows b ON b.key = a.key
 WHERE a.shard_id = 'batches' AND a.seq <> b.n;

-- 200 more with row 350 carrying row 349's signature: refused as a whole, nothing stays.
SELECT pg_temp.error_of($$
  INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  SELECT 'batches', b.key, b.value, 1, 'validator-1',
         CASE WHEN b.n = 350 THEN (SELECT signature FROM batch_rows WHERE n = 349) ELSE b.signature END
    FROM batch_rows b WHERE b.n BETWEEN 201 AND 400 ORDER BY b.n$$);
SELECT * FROM pg_temp.shard();
-- The first row forged, the rest good: the same; here checked by the backend alone
-- (mycelium.verify_threads = 1).
SET mycelium.verify_threads = 1;
SELECT pg_temp.error_of($$
  INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  SELECT 'batches', b.key, b.value, 1, 'validator-1',
         CASE WHEN b.n = 201 THEN (SELECT signature FROM batch_rows WHERE n = 202) ELSE b.signature END
    FROM batch_rows b WHERE b.n BETWEEN 201 AND 400 ORDER BY b.n$$);
RESET mycelium.verify_threads;
SELECT * FROM pg_temp.shard();

-- A COPY of 4,800 rows, more than one batch holds: the first 4,096 are logged before the
-- signature of the last is checked. With the last row forged the COPY is refused, and the
-- logged part goes with it.
SELECT concat_ws(E'\t', 'batches', key, value, 1, 'validator-1',
                 CASE WHEN n = 5000 THEN (SELECT signature FROM batch_rows WHERE n = 4999) ELSE signature END)
  FROM batch_rows WHERE n > 200 ORDER BY n
  \g (format=unaligned tuples_only) :file-bad.tsv
SELECT concat_ws(E'\t', 'batches', key, value, 1, 'validator-1', signature)
  FROM batch_rows WHERE n > 200 ORDER BY n
  \g (format=unaligned tuples_only) :file-ok.tsv
SELECT pg_temp.error_of(format('COPY mycelium.data (shard_id, key, value, version, created_by, signature) FROM %L', :'file' || '-bad.tsv'));
SELECT * FROM pg_temp.shard();
\set ECHO none
SELECT format('COPY mycelium.data (shard_id, key, value, version, created_by, signature) FROM %L', :'file' || '-ok.tsv') \gexec
\set ECHO all
SELECT * FROM pg_temp.shard();
\! rm -f /tmp/mycelium-batches-*

-- One transaction: a statement on mycelium.data, one naming the shard's partition (verified
-- row by row), a put() in a function whose exception block rolls it back, and one more
-- statement. Every change that stayed is logged once, on one chain.
\set x1 `:sign put validator-1 batches x1 1 '1'`
\set x2 `:sign put validator-1 batches x2 1 '2'`
\set x3 `:sign put validator-1 batches x3 1 '3'`
\set x4 `:sign put validator-1 batches x4 1 '4'`
CREATE FUNCTION pg_temp.put_then_fail(key text, value jsonb, signature text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mycelium.put('batches', key, value, 1, 'validator-1', signature);
  RAISE EXCEPTION 'changed my mind';
EXCEPTION WHEN raise_exception THEN
  RETURN 'rolled back';
END $$;
BEGIN;
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('batches', 'x1', '1', 1, 'validator-1', :'x1');
INSERT INTO mycelium.data_batches (shard_id, key, value, version, created_by, signature)
  VALUES ('batches', 'x2', '2', 1, 'validator-1', :'x2');
SELECT pg_temp.put_then_fail('x3', '3', :'x3');
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('batches', 'x4', '4', 1, 'validator-1', :'x4');
COMMIT;
SELECT seq, key FROM mycelium.audit_log WHERE shard_id = 'batches' AND seq > 5000 ORDER BY seq;
SELECT * FROM pg_temp.shard();

-- A statement whose rows come from a function that itself writes, inside an exception block
-- (a subtransaction of its own): the function's put is logged first, then the statement's
-- rows, on one chain.
\set y1 `:sign put validator-1 batches y1 1 '1'`
\set y2 `:sign put validator-1 batches y2 1 '2'`
\set y3 `:sign put validator-1 batches y3 1 '3'`
CREATE FUNCTION pg_temp.rows_after_a_put(y1 text, y2 text, y3 text)
RETURNS TABLE (shard_id text, key text, value jsonb, version integer, created_by text, signature text)
LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM mycelium.put('batches', 'y1', '1', 1, 'validator-1', y1);
  EXCEPTION WHEN others THEN RAISE;
  END;
  RETURN QUERY VALUES ('batches', 'y2', '2'::jsonb, 1, 'validator-1', y2),
                      ('batches', 'y3', '3'::jsonb, 1, 'validator-1', y3);
END $$;
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  SELECT * FROM pg_temp.rows_after_a_put(:'y1', :'y2', :'y3');
SELECT seq, key FROM mycelium.audit_log WHERE shard_id = 'batches' AND seq > 5003 ORDER BY seq;
SELECT * FROM pg_temp.shard();

-- A statement's batch flushed inside a subtransaction that then rolls back (a user's AFTER ROW
-- trigger whose exception block writes, firing between the statement's own row triggers and its
-- end): the log entries the flush wrote went with the subtransaction, so the statement fails
-- rather than keep rows the log no longer holds; nothing of it stays.
\set z1 `:sign put validator-1 batches z1 1 '1'`
\set z2 `:sign put validator-1 batches z2 1 '2'`
CREATE TABLE pg_temp.after_z (i integer);
CREATE FUNCTION pg_temp.put_z2_then_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM mycelium.put('batches', 'z2', '2', 1, 'validator-1', current_setting('test.z2'));
    RAISE EXCEPTION 'changed my mind';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  RETURN NULL;
END $$;
CREATE TRIGGER put_z2 AFTER INSERT ON pg_temp.after_z FOR EACH ROW EXECUTE FUNCTION pg_temp.put_z2_then_fail();
SELECT set_config('test.z2', :'z2', false) IS NOT NULL AS set;
WITH d AS (INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
           VALUES ('batches', 'z1', '1', 1, 'validator-1', :'z1') RETURNING 1)
INSERT INTO pg_temp.after_z SELECT 1 FROM d;
SELECT count(*) AS z FROM mycelium.data WHERE shard_id = 'batches' AND key IN ('z1', 'z2');
SELECT * FROM pg_temp.shard();

-- With the statement trigger that verifies a batch disabled (only the extension's owner can),
-- the rows it would have verified cannot commit.
\set x5 `:sign put validator-1 batches x5 1 '5'`
ALTER TABLE mycelium.data DISABLE TRIGGER signed_writes_end;
INSERT INTO mycelium.data (shard_id, key, value, version, created_by, signature)
  VALUES ('batches', 'x5', '5', 1, 'validator-1', :'x5');
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER signed_writes_end;
SELECT * FROM pg_temp.shard();
