-- Elected shards, the data plane (schemas/CONSENSUS.md, "Elected shards: epochs, terms and
-- moved-aside entries"): epochs applied by hand as superuser, as the shards' agents would; writes
-- in an epoch's term with v2 links; a replica that believes entries by the epochs, refusing each
-- rule's violation; and a failover by hand, in which node-1's entries that never left it are
-- moved aside and its records restored, and node-2's new writes reach it.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT encode(decode(repeat('00', 32), 'hex'), 'hex') AS zero \gset

-- An elected shard. With no epoch yet nobody is its primary: a write is refused.
SELECT mycelium.create_shard('s-el', replicas => 0, elected => true);
SELECT encode(mycelium.signing_payload('put', 's-el', 'early', '1', 1, 'node-1'), 'hex') AS early_payload \gset
\set early_sig `:sign sign node-1 :early_payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-el', 'early', '1', 1, 'node-1', %L)$$, :'early_sig'));

-- apply_shard_epoch's refusals of bad arguments, of a missing shard and of a fixed shard; no
-- role but mycelium_consensus (and superusers) may run it.
SELECT mycelium.create_shard('s-el-fixed', replicas => 0);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch(NULL, 1, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 0, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', NULL, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node 1', 0, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', -1, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, '\x00')$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(repeat('01', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-nowhere', 1, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el-fixed', 1, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
SET ROLE mycelium_admin;
SELECT pg_temp.error_of($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(repeat('00', 32), 'hex'))$$);
RESET ROLE;
SELECT has_function_privilege('mycelium_consensus',
         'mycelium.apply_shard_epoch(text, bigint, text, bigint, bytea, text[])', 'EXECUTE') AS consensus_may,
       has_function_privilege('mycelium_replicator',
         'mycelium.apply_shard_epoch(text, bigint, text, bigint, bytea, text[])', 'EXECUTE') AS replicator_may;
SELECT s.term, count(e.term) AS epochs FROM mycelium.shards s LEFT JOIN mycelium.shard_epochs e USING (shard_id)
 WHERE shard_id = 's-el' GROUP BY s.term;

-- A node named primary by an epoch that starts past its head (it never held entries 1 and 2)
-- cannot write: its entries would not follow the epoch's start.
SELECT mycelium.create_shard('s-el-behind', replicas => 0, elected => true);
SELECT * FROM mycelium.apply_shard_epoch('s-el-behind', 1, 'node-1', 2, decode(repeat('ab', 32), 'hex'));
SELECT encode(mycelium.signing_payload('put', 's-el-behind', 'k', '1', 1, 'node-1'), 'hex') AS behind_payload \gset
\set behind_sig `:sign sign node-1 :behind_payload`
SELECT pg_temp.regress_hold_lease('s-el-behind');
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-el-behind', 'k', '1', 1, 'node-1', %L)$$, :'behind_sig'));
SELECT mycelium.drop_shard('s-el-behind');

-- node-2 becomes a replica: the open says the shard is elected (open-elected, signed).
SELECT mycelium.add_replica('s-el', 'node-2');
\c mycelium postgres 127.0.0.1 :port2
-- node-2 becomes primary below: its push worker is paused like node-1's, so that the scenario
-- pushes when it says so (restored at the end).
ALTER SYSTEM SET mycelium.push_interval = '1h';
SELECT pg_reload_conf();
SELECT kind, primary_node, elected, term, head_seq FROM mycelium.shards WHERE shard_id = 's-el';
SELECT op FROM mycelium.replica_controls WHERE shard_id = 's-el';

-- Epoch 1 (node-1, from the chain's start) on both nodes: node-1 primary, node-2 replica.
-- Applying it again changes nothing.
SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(:'zero', 'hex'));
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT kind, primary_node, term FROM mycelium.shards WHERE shard_id = 's-el';

-- Writes in epoch 1: three records, each entry term 1 with a v2 link, pushed to node-2.
SELECT pg_temp.regress_hold_lease('s-el');
\set shard s-el
\set prefix e
\set count 3
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT seq, term FROM mycelium.audit_log WHERE shard_id = 's-el' ORDER BY seq;
SELECT mycelium.push_now('s-el') AS pushed;

-- Two more entries that never leave node-1: e1 updated to version 2, e2 deleted.
SELECT encode(mycelium.signing_payload('put', 's-el', 'e1', '{"n": 100}', 2, 'node-1'), 'hex') AS e1_payload,
       encode(mycelium.signing_payload('delete', 's-el', 'e2', NULL, 2, 'node-1'), 'hex') AS e2_payload \gset
\set e1_sig `:sign sign node-1 :e1_payload`
\set e2_sig `:sign sign node-1 :e2_payload`
SELECT mycelium.put('s-el', 'e1', '{"n": 100}', 2, 'node-1', :'e1_sig');
SELECT mycelium.delete('s-el', 'e2', 2, 'node-1', :'e2_sig');
SELECT key, value, version FROM mycelium.data WHERE shard_id = 's-el' ORDER BY key;
SELECT key, version FROM mycelium.tombstones WHERE shard_id = 's-el';
-- Entry 4 (the put of e1), to deliver to node-2 forged in every way the epoch rules catch.
SELECT format('%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz', shard_id, seq, op, key, version, value,
              created_by, signature, created_at) AS e4_fields,
       encode(prev_hash, 'hex') AS e4_prev, encode(entry_hash, 'hex') AS e4_hash, link_signature AS e4_link,
       mycelium._timestamptz_to_us(created_at) AS e4_us
  FROM mycelium.audit_log WHERE shard_id = 's-el' AND seq = 4 \gset
\set link_term5 `:sign link-v2 node-1 s-el 4 :e4_hash node-1 5`
\set link_v1 `:sign link node-1 s-el 4 :e4_hash node-1`
\set link_term7 `:sign link-v2 node-1 s-el 4 :e4_hash node-1 7`
\set e4_hash_by2 `:sign entry-hash :e4_prev 4 :e1_payload :e1_sig node-2 :e4_us`
\set link_by2 `:sign link-v2 node-2 s-el 4 :e4_hash_by2 node-2 1`

\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT head_seq, term FROM mycelium.shards WHERE shard_id = 's-el';
SELECT seq, term, origin_node FROM mycelium.audit_log WHERE shard_id = 's-el' ORDER BY seq;
SELECT valid, entries FROM mycelium.verify_audit('s-el');
SET ROLE sync_node_1;
-- term 5: an epoch not applied here yet (the sender retries once it is);
INSERT INTO mycelium.inbox VALUES (:e4_fields, 'node-1', decode(:'e4_prev', 'hex'), decode(:'e4_hash', 'hex'), :'link_term5', 5);
-- term 0 with a v1 link: a fixed primary's entry, not an elected shard's;
INSERT INTO mycelium.inbox VALUES (:e4_fields, 'node-1', decode(:'e4_prev', 'hex'), decode(:'e4_hash', 'hex'), :'link_v1', 0);
-- term 1 with a link node-1 signed over term 7: the v2 link covers the term;
INSERT INTO mycelium.inbox VALUES (:e4_fields, 'node-1', decode(:'e4_prev', 'hex'), decode(:'e4_hash', 'hex'), :'link_term7', 1);
-- appended, and linked, by node-2, which is not epoch 1's primary;
INSERT INTO mycelium.inbox VALUES (:e4_fields, 'node-2', decode(:'e4_prev', 'hex'), decode(:'e4_hash_by2', 'hex'), :'link_by2', 1);
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el' ORDER BY rejection_id;
SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-el';
-- node-2 cannot write: it is not the primary.
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-el', 'e1', '{"n": 100}', 2, 'node-1', %L)$$, :'e1_sig'));

-- A fixed-primary shard takes no termed entry.
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT mycelium.add_replica('s-el-fixed', 'node-2');
\set shard s-el-fixed
\set prefix x
\set count 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT format('(%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L, 1)',
              shard_id, seq, op, key, version, value, created_by, signature, created_at, origin_node,
              prev_hash, entry_hash, link_signature) AS fixed_termed
  FROM mycelium.audit_log WHERE shard_id = 's-el-fixed' AND seq = 1 \gset
\c mycelium postgres 127.0.0.1 :port2
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox VALUES :fixed_termed;
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el-fixed';
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.remove_replica('s-el-fixed', 'node-2');
SELECT mycelium.drop_shard('s-el-fixed', force => true);

-- Failover by hand: epoch 3 (terms need not be consecutive) makes node-2 primary from its head,
-- seq 3. node-2 applies it first (node-1 is cut off, say).
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT encode(head_hash, 'hex') AS head3 FROM mycelium.shards WHERE shard_id = 's-el' \gset
-- The agent passes the group's members: on the new primary each validator among them becomes a
-- replica (the elected_shards view then keeps it as a voter). node-3 is a miner here and is
-- skipped: groups have validators only. Tried in a transaction rolled back; a NULL member and
-- one that is no node id are refused.
BEGIN;
SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(:'head3', 'hex'),
                                         ARRAY['node-1', 'node-2', 'node-3']);
SELECT node_id, status FROM mycelium.replicas WHERE shard_id = 's-el' ORDER BY node_id;
SELECT voters FROM mycelium.elected_shards WHERE shard_id = 's-el';
ROLLBACK;
SELECT pg_temp.error_of(format($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(%L, 'hex'), ARRAY['node-1', NULL])$$, :'head3'));
SELECT pg_temp.error_of(format($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(%L, 'hex'), ARRAY['Node 3'])$$, :'head3'));
SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(:'head3', 'hex'));
SELECT kind, primary_node, term, head_seq FROM mycelium.shards WHERE shard_id = 's-el';
-- It pushes to the holders it knows of: epoch 1's primary.
SELECT node_id, status FROM mycelium.replicas WHERE shard_id = 's-el';

-- node-1 applies epoch 3: its two entries after seq 3 move aside, e1 and e2 are restored.
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
-- Diverged: an epoch whose start is not this node's entry 3 is refused, and changes nothing.
SELECT regexp_replace(pg_temp.error_of(format($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(%L, 'hex'))$$,
                                             repeat('ab', 32))), 'has hash [0-9a-f]{64}', 'has hash <its hash>');
SELECT kind, term, head_seq FROM mycelium.shards WHERE shard_id = 's-el';
SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(:'head3', 'hex'));
SELECT kind, primary_node, term, head_seq FROM mycelium.shards WHERE shard_id = 's-el';
SELECT seq, term, op, key, version, superseded_by_term, reason FROM mycelium.moved_aside_entries
 WHERE shard_id = 's-el' ORDER BY seq;
SELECT max(seq) AS last_entry FROM mycelium.audit_log WHERE shard_id = 's-el';
SELECT key, value, version FROM mycelium.data WHERE shard_id = 's-el' ORDER BY key;
SELECT count(*) AS tombstones FROM mycelium.tombstones WHERE shard_id = 's-el';
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el');
-- Applied again: already; an older epoch: stale; another epoch in term 3: refused.
SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-2', 3, decode(:'head3', 'hex'));
SELECT * FROM mycelium.apply_shard_epoch('s-el', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT pg_temp.error_of(format($$SELECT * FROM mycelium.apply_shard_epoch('s-el', 3, 'node-1', 3, decode(%L, 'hex'))$$, :'head3'));
-- node-1 is a replica now: it cannot write.
SELECT pg_temp.error_of(format($$SELECT mycelium.put('s-el', 'e1', '{"n": 100}', 2, 'node-1', %L)$$, :'e1_sig'));
-- Its own superseded entry 4, delivered back to it: refused (epoch 3 appends after seq 3). The
-- same entry in term 2, linked by node-1 over term 2: no epoch 2 was ever applied here.
SELECT format('(%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L, %s)',
              shard_id, seq, op, key, version, value, created_by, signature, created_at, origin_node,
              prev_hash, entry_hash, link_signature, term) AS moved4,
       format('%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea',
              shard_id, seq, op, key, version, value, created_by, signature, created_at, origin_node,
              prev_hash, entry_hash) AS moved4_fields,
       encode(entry_hash, 'hex') AS moved4_hash
  FROM mycelium.moved_aside_entries WHERE shard_id = 's-el' AND seq = 4 \gset
\set moved4_link2 `:sign link-v2 node-1 s-el 4 :moved4_hash node-1 2`
SET ROLE sync_node_2;
INSERT INTO mycelium.inbox VALUES :moved4;
INSERT INTO mycelium.inbox VALUES (:moved4_fields, :'moved4_link2', 2);
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el' ORDER BY rejection_id;

-- node-2 writes in epoch 3 and pushes: node-1 takes the entry (term 3, node-2's v2 link).
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT pg_temp.regress_hold_lease('s-el');
SELECT encode(mycelium.signing_payload('put', 's-el', 'e9', '{"n": 9}', 1, 'node-1'), 'hex') AS e9_payload \gset
\set e9_sig `:sign sign node-1 :e9_payload`
SELECT mycelium.put('s-el', 'e9', '{"n": 9}', 1, 'node-1', :'e9_sig');
SELECT mycelium.push_now('s-el') AS pushed;
SELECT node_id, last_pushed_seq, last_error FROM mycelium.push_status WHERE shard_id = 's-el';
SELECT match, local_head, remote_head FROM mycelium.verify_replica('s-el', 'node-1');
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el');
SELECT encode(entry_hash, 'hex') AS e4_new_hash, mycelium._timestamptz_to_us(created_at) + 1 AS e5_us
  FROM mycelium.audit_log WHERE shard_id = 's-el' AND seq = 4 \gset

\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT seq, term, origin_node FROM mycelium.audit_log WHERE shard_id = 's-el' ORDER BY seq;
SELECT key, value, version FROM mycelium.data WHERE shard_id = 's-el' ORDER BY key;
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el');
-- Entry 5 by node-1 in term 1, after node-2's entry 4 of term 3: terms never decrease.
SELECT encode(mycelium.signing_payload('put', 's-el', 'late', '5', 1, 'node-1'), 'hex') AS late_payload \gset
\set late_sig `:sign sign node-1 :late_payload`
\set late_hash `:sign entry-hash :e4_new_hash 5 :late_payload :late_sig node-1 :e5_us`
\set late_link1 `:sign link-v2 node-1 s-el 5 :late_hash node-1 1`
SET ROLE sync_node_2;
INSERT INTO mycelium.inbox VALUES ('s-el', 5, 'put', 'late', 1, '5', 'node-1', :'late_sig',
       mycelium._us_to_timestamptz(:e5_us), 'node-1', decode(:'e4_new_hash', 'hex'), decode(:'late_hash', 'hex'), :'late_link1', 1);
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el' AND seq = 5 ORDER BY rejection_id;
SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-el';

-- The inbox one row at a time (its statement triggers disabled): the same rules. node-2's next
-- entry, linked over term 4 instead of 3, is refused; the genuine one is applied.
\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT pg_temp.regress_hold_lease('s-el');
SELECT encode(mycelium.signing_payload('put', 's-el', 'e10', '{"n": 10}', 1, 'node-1'), 'hex') AS e10_payload \gset
\set e10_sig `:sign sign node-1 :e10_payload`
SELECT mycelium.put('s-el', 'e10', '{"n": 10}', 1, 'node-1', :'e10_sig');
SELECT format('%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea', shard_id, seq, op, key,
              version, value, created_by, signature, created_at, origin_node, prev_hash, entry_hash) AS e5_fields,
       link_signature AS e5_link, encode(entry_hash, 'hex') AS e5_hash
  FROM mycelium.audit_log WHERE shard_id = 's-el' AND seq = 5 \gset
\set e5_link4 `:sign link-v2 node-2 s-el 5 :e5_hash node-2 4`
\c mycelium postgres 127.0.0.1 :port1
ALTER TABLE mycelium.inbox DISABLE TRIGGER inbox_statement_start, DISABLE TRIGGER inbox_statement_end;
SET ROLE sync_node_2;
INSERT INTO mycelium.inbox VALUES (:e5_fields, :'e5_link4', 3);
INSERT INTO mycelium.inbox VALUES (:e5_fields, :'e5_link', 3);
RESET ROLE;
ALTER TABLE mycelium.inbox ENABLE ALWAYS TRIGGER inbox_statement_start, ENABLE ALWAYS TRIGGER inbox_statement_end;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el' AND seq = 5 ORDER BY rejection_id DESC LIMIT 1;
SELECT head_seq, (SELECT max(seq) FROM mycelium.audit_log WHERE shard_id = 's-el') AS last_entry
  FROM mycelium.shards WHERE shard_id = 's-el';
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el');

-- The new primary removes node-1's replica (node-1 believes the close: node-2 is its primary
-- now); the copy goes with its epochs and moved-aside entries. Then the shard is dropped.
\c mycelium postgres 127.0.0.1 :port2
SELECT mycelium.remove_replica('s-el', 'node-1');
\c mycelium postgres 127.0.0.1 :port1
SELECT (SELECT count(*) FROM mycelium.shards WHERE shard_id = 's-el') AS shards,
       (SELECT count(*) FROM mycelium.shard_epochs WHERE shard_id = 's-el') AS epochs,
       (SELECT count(*) FROM mycelium.moved_aside_entries WHERE shard_id = 's-el') AS moved_aside;
\c mycelium postgres 127.0.0.1 :port2
SELECT mycelium.drop_shard('s-el', force => true);
SELECT (SELECT count(*) FROM mycelium.shards WHERE shard_id = 's-el') AS shards,
       (SELECT count(*) FROM mycelium.shard_epochs WHERE shard_id = 's-el') AS epochs;

-- A replica added after the first writes (as the agents do: the group's voters are the active
-- replicas). It refuses the entries until it has applied their epochs, and add_replica keeps
-- it, saying so; the push then delivers them.
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/multinode/lease.sql
\set QUIET on
SELECT mycelium.create_shard('s-el-late', replicas => 0, elected => true);
SELECT * FROM mycelium.apply_shard_epoch('s-el-late', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT pg_temp.regress_hold_lease('s-el-late');
\set shard s-el-late
\set prefix l
\set count 1
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.add_replica('s-el-late', 'node-2');
SELECT node_id, status, last_pushed_seq, last_error FROM mycelium.push_status WHERE shard_id = 's-el-late';
-- Epoch 2, the same primary from seq 1, and a second entry in it.
SELECT encode(entry_hash, 'hex') AS late1_hash,
       format('%L, %s, %L, %L, %s, %L::jsonb, %L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea', shard_id, seq, op,
              key, version, value, created_by, signature, created_at, origin_node, prev_hash, entry_hash) AS late1_fields
  FROM mycelium.audit_log WHERE shard_id = 's-el-late' AND seq = 1 \gset
SELECT * FROM mycelium.apply_shard_epoch('s-el-late', 2, 'node-1', 1, decode(:'late1_hash', 'hex'));
SELECT pg_temp.regress_hold_lease('s-el-late');
\set prefix m
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT seq, term FROM mycelium.audit_log WHERE shard_id = 's-el-late' ORDER BY seq;
\set late1_link2 `:sign link-v2 node-1 s-el-late 1 :late1_hash node-1 2`
\c mycelium postgres 127.0.0.1 :port2
SELECT * FROM mycelium.apply_shard_epoch('s-el-late', 1, 'node-1', 0, decode(:'zero', 'hex'));
SELECT * FROM mycelium.apply_shard_epoch('s-el-late', 2, 'node-1', 1, decode(:'late1_hash', 'hex'));
-- Entry 1 relabelled into term 2 by epoch 2's own primary: epoch 2 appends only after seq 1.
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox VALUES (:late1_fields, :'late1_link2', 2);
RESET ROLE;
SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections WHERE shard_id = 's-el-late' ORDER BY rejection_id DESC LIMIT 1;
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.push_now('s-el-late') AS pushed;
SELECT node_id, status, last_pushed_seq, last_error FROM mycelium.push_status WHERE shard_id = 's-el-late';
SELECT match FROM mycelium.verify_replica('s-el-late', 'node-2');
-- verify_audit checks each entry's term by the epochs: a superuser's edit of entry 2's term (its
-- v2 link is over term 2) is found.
\c mycelium postgres 127.0.0.1 :port2
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET term = 1 WHERE shard_id = 's-el-late' AND seq = 2;
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el-late');
UPDATE mycelium.audit_log SET term = 2 WHERE shard_id = 's-el-late' AND seq = 2;
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
SELECT valid, entries, reason FROM mycelium.verify_audit('s-el-late');
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.remove_replica('s-el-late', 'node-2');
SELECT mycelium.drop_shard('s-el-late', force => true);

\c mycelium postgres 127.0.0.1 :port2
ALTER SYSTEM RESET mycelium.push_interval;
SELECT pg_reload_conf();
