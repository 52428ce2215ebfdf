-- A replica never trusts its sender: forged entries put into its inbox are refused, recorded
-- in inbox_rejections and not applied; a resent genuine entry is a harmless no-op. Every entry
-- must carry the primary's link signature, which covers everything the replica stores, so a
-- replicator login (any node holds one) cannot plant, alter or re-date an entry. A primary
-- whose own log was tampered with sees its push refused, and reports it in push_status.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-forge', replicas => 0);
SELECT mycelium.add_replica('s-forge', 'node-2');
\set shard s-forge
\set prefix f
\set count 3
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-forge') AS pushed;
-- The genuine entry 3, to resend and to tamper with on node 2.
CREATE TEMP TABLE entry3 AS SELECT shard_id, seq, op, key, version, value, created_by, signature,
       created_at, origin_node, prev_hash, entry_hash, link_signature
  FROM mycelium.audit_log WHERE shard_id = 's-forge' AND seq = 3;
SELECT format('(%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L)',
              shard_id, seq, op, key, version, value, created_by, signature, created_at, origin_node,
              prev_hash, entry_hash, link_signature) AS entry3,
       encode(entry_hash, 'hex') AS head_hex,
       mycelium._timestamptz_to_us(created_at) AS created_us
  FROM entry3 \gset

-- A planted put that claims node-1 as its signer, signed with node-2's key, with an entry hash
-- the forger computed correctly and a link signed by node-2 too: the link signature (node-1's
-- key is the primary's) catches it.
SELECT encode(mycelium.signing_payload('put', 's-forge', 'planted', '"evil"', 1, 'node-1'), 'hex') AS planted_payload \gset
\set planted_sig `:sign sign node-2 :planted_payload`
\set planted_hash `:sign entry-hash :head_hex 4 :planted_payload :planted_sig node-1 :created_us`
\set planted_link `:sign link node-2 s-forge 4 :planted_hash node-1`

\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SET ROLE sync_node_1;
-- Resending a genuine entry: nothing happens, nothing is refused.
INSERT INTO mycelium.inbox VALUES :entry3;
-- The genuine entry with a tampered value, as entry 4: refused (its hash no longer matches).
INSERT INTO mycelium.inbox SELECT e.shard_id, 4, e.op, e.key, e.version, '{"n": 666}', e.created_by,
       e.signature, e.created_at, e.origin_node, decode(:'head_hex', 'hex'), e.entry_hash, e.link_signature
  FROM (VALUES :entry3) e(shard_id, seq, op, key, version, value, created_by, signature,
                          created_at, origin_node, prev_hash, entry_hash, link_signature);
-- The planted put: the hash matches, the link is not signed by the primary.
INSERT INTO mycelium.inbox VALUES ('s-forge', 4, 'put', 'planted', 1, '"evil"', 'node-1', :'planted_sig',
       mycelium._us_to_timestamptz(:created_us), 'node-1', decode(:'head_hex', 'hex'), decode(:'planted_hash', 'hex'),
       :'planted_link');
-- The same with no link signature at all.
INSERT INTO mycelium.inbox VALUES ('s-forge', 4, 'put', 'planted', 1, '"evil"', 'node-1', :'planted_sig',
       mycelium._us_to_timestamptz(:created_us), 'node-1', decode(:'head_hex', 'hex'), decode(:'planted_hash', 'hex'), '');
-- An entry that skips ahead of the replica's head.
INSERT INTO mycelium.inbox SELECT e.shard_id, 9, e.op, e.key, e.version, e.value, e.created_by,
       e.signature, e.created_at, e.origin_node, e.prev_hash, e.entry_hash, e.link_signature
  FROM (VALUES :entry3) e(shard_id, seq, op, key, version, value, created_by, signature,
                          created_at, origin_node, prev_hash, entry_hash, link_signature);
-- The replicator cannot do anything else with the inbox.
SELECT pg_temp.error_of($$UPDATE mycelium.inbox SET seq = 1$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.inbox$$);
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-forge' ORDER BY rejection_id;
SELECT count(*) AS records, max(version) FROM mycelium.data WHERE shard_id = 's-forge';
SELECT count(*) AS planted FROM mycelium.data WHERE key = 'planted';
SELECT count(*) AS stored_in_inbox FROM mycelium.inbox;
SELECT valid, entries FROM mycelium.verify_audit('s-forge');

-- On the primary, a superuser edits a logged value behind the trigger's back, then writes on:
-- the push is refused by the replica, and the refusal shows in push_status.
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
\set prefix g
\set count 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
-- Entry 4 is pending. A replicator delivers it first, re-dated by one microsecond with the hash
-- recomputed: every field is genuine but the time, so only the link signature catches it (it
-- used to be accepted, and every later push was refused until the replica was rebuilt).
SELECT encode(mycelium.signing_payload('put', shard_id, key, value, version, created_by), 'hex') AS e4_payload,
       encode(prev_hash, 'hex') AS e4_prev, signature AS e4_sig, link_signature AS e4_link,
       encode(entry_hash, 'hex') AS e4_hash,
       mycelium._timestamptz_to_us(created_at) + 1 AS redated_us, created_at AS e4_created,
       format('%L, %s, %L, %L, %s, %L::jsonb, %L, %L', shard_id, seq, op, key, version, value, created_by, signature) AS e4_fields
  FROM mycelium.audit_log WHERE shard_id = 's-forge' AND seq = 4 \gset
\set redated_hash `:sign entry-hash :e4_prev 4 :e4_payload :e4_sig node-1 :redated_us`
\set redated_link `:sign link node-2 s-forge 4 :redated_hash node-1`
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SET ROLE sync_node_1;
-- with the genuine entry's link signature, and with a link the forger signed itself:
INSERT INTO mycelium.inbox VALUES (:e4_fields, mycelium._us_to_timestamptz(:redated_us), 'node-1',
       decode(:'e4_prev', 'hex'), decode(:'redated_hash', 'hex'), :'e4_link');
INSERT INTO mycelium.inbox VALUES (:e4_fields, mycelium._us_to_timestamptz(:redated_us), 'node-1',
       decode(:'e4_prev', 'hex'), decode(:'redated_hash', 'hex'), :'redated_link');
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-forge' AND seq = 4
 ORDER BY rejection_id DESC LIMIT 2;
SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-forge';
-- The replicator delivers the genuine entry 4 itself, through a function with an exception
-- block (a subtransaction inside the statement) and a junk row after it: the entry is applied
-- and the replica's head moves with it (the subtransaction used to drop the statement's cached
-- head, leaving the head behind the entries).
CREATE FUNCTION pg_temp.through_subtransaction(shard text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN NULL;
  END;
  RETURN shard;
END $$;
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox
  SELECT pg_temp.through_subtransaction(e.shard_id), e.seq, e.op, e.key, e.version, e.value, e.created_by, e.signature,
         e.created_at, e.origin_node, e.prev_hash, e.entry_hash, e.link_signature
    FROM (VALUES (:e4_fields, :'e4_created'::timestamptz, 'node-1',
                  decode(:'e4_prev', 'hex'), decode(:'e4_hash', 'hex'), :'e4_link'),
                 ('junk', 1, 'put', 'x', 1, NULL::jsonb, '', '', now(), '', '\x'::bytea, '\x'::bytea, ''))
         e(shard_id, seq, op, key, version, value, created_by, signature, created_at, origin_node,
           prev_hash, entry_hash, link_signature);
-- An INSERT into the inbox from inside another is refused: it would read heads the outer one
-- has moved but not written.
CREATE FUNCTION pg_temp.nested_delivery() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO mycelium.inbox VALUES ('junk', 1, 'put', 'x', 1, NULL, '', '', now(), '', '\x', '\x', '');
  RETURN 'junk';
END $$;
SELECT pg_temp.error_of($$INSERT INTO mycelium.inbox SELECT pg_temp.nested_delivery(), 1, 'put', 'x', 1, NULL, '', '', now(), '', '\x', '\x', ''$$);
RESET ROLE;
SELECT head_seq, (SELECT max(seq) FROM mycelium.audit_log WHERE shard_id = 's-forge') AS last_entry
  FROM mycelium.shards WHERE shard_id = 's-forge';
SELECT valid, entries FROM mycelium.verify_audit('s-forge');
\c mycelium postgres 127.0.0.1 :port1
-- The primary finds entry 4 already there: nothing to push, and the copies match.
SELECT mycelium.push_now('s-forge') AS pushed;
SELECT match, local_head, remote_head FROM mycelium.verify_replica('s-forge', 'node-2');
\set prefix h
\i :abs_srcdir/regress/multinode/signed_puts.sql
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET value = '{"n": 2}' WHERE shard_id = 's-forge' AND seq = 5;
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
SELECT mycelium.push_now('s-forge') AS pushed;
SELECT last_pushed_seq, attempts, last_error FROM mycelium.push_status WHERE shard_id = 's-forge';
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-forge';
SELECT mycelium.remove_replica('s-forge', 'node-2');

-- One delivery of 40 entries: the replica checks every signature of the statement at once, on
-- every CPU, then applies the entries in order. Entry 20 carries entry 21's link signature:
-- entries 1-19 are applied, 20 is refused for its link (MC001) and 21-40 for not following
-- the head. The genuine 40 delivered again: 1-19 are no-ops, 20-40 applied.
SELECT mycelium.create_shard('s-batch', replicas => 0);
SELECT mycelium.add_replica('s-batch', 'node-2');
SELECT mycelium.push_now('s-batch') AS pushed;
\set shard s-batch
\set prefix b
\set count 40
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT string_agg(format('(%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L)',
                         a.shard_id, a.seq, a.op, a.key, a.version, a.value, a.created_by, a.signature,
                         a.created_at, a.origin_node, a.prev_hash, a.entry_hash,
                         CASE WHEN a.seq = 20 THEN b.link_signature ELSE a.link_signature END),
                  ', ' ORDER BY a.seq) AS forged_batch,
       string_agg(format('(%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L)',
                         a.shard_id, a.seq, a.op, a.key, a.version, a.value, a.created_by, a.signature,
                         a.created_at, a.origin_node, a.prev_hash, a.entry_hash, a.link_signature),
                  ', ' ORDER BY a.seq) AS genuine_batch
  FROM mycelium.audit_log a
  JOIN mycelium.audit_log b ON b.shard_id = a.shard_id AND b.seq = 21
 WHERE a.shard_id = 's-batch' \gset
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox VALUES :forged_batch;
RESET ROLE;
SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-batch';
SELECT sqlstate, count(*), min(seq), max(seq), min(reason) AS first_reason
  FROM mycelium.inbox_rejections WHERE shard_id = 's-batch' GROUP BY sqlstate ORDER BY sqlstate;
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox VALUES :genuine_batch;
RESET ROLE;
SELECT head_seq, (SELECT count(*) FROM mycelium.data WHERE shard_id = 's-batch') AS records
  FROM mycelium.shards WHERE shard_id = 's-batch';
SELECT valid, entries FROM mycelium.verify_audit('s-batch');
\c mycelium postgres 127.0.0.1 :port1
SELECT match FROM mycelium.verify_replica('s-batch', 'node-2');
