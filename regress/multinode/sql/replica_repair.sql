-- A primary checks every replica's chain head, not only when it has entries to push: a replica
-- that lost its copy is opened again and refilled by the next round (push_now here), and one
-- whose chain forked is reported as diverged (shard_health, push_status) instead of healthy.
-- verify_replica compares head hashes, so a fork at the same length is found too.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-repair', replicas => 0);
SELECT mycelium.add_replica('s-repair', 'node-2');
\set shard s-repair
\set prefix r
\set count 3
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
-- Before the push, node-1's replicator login delivers entry 1 itself with the value spelled
-- {"n": 1.0}: it has the same canonical JSON as {"n": 1}, so every hash and signature verifies
-- and the replica stores it; the digest covers the stored text, so verify_replica tells.
SELECT format('%L, %s, %L, %L, %s', shard_id, seq, op, key, version) AS e1_head,
       format('%L, %L, %L::timestamptz, %L, %L::bytea, %L::bytea, %L', created_by, signature, created_at,
              origin_node, prev_hash, entry_hash, link_signature) AS e1_tail
  FROM mycelium.audit_log WHERE shard_id = 's-repair' AND seq = 1 \gset
\c mycelium postgres 127.0.0.1 :port2
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox VALUES (:e1_head, '{"n": 1.0}', :e1_tail);
RESET ROLE;
SELECT value FROM mycelium.data WHERE shard_id = 's-repair' AND key = 'r1';
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.push_now('s-repair') AS pushed;
SELECT local_records = remote_records AS records_equal, local_head_hash = remote_head_hash AS heads_equal,
       local_digest = remote_digest AS digests_equal, match
  FROM mycelium.verify_replica('s-repair', 'node-2');

-- node-2 loses its copy: its superuser drops it by hand (what a forged close used to do). The
-- primary refills it from its own log, so the respelled value is gone too.
\c mycelium postgres 127.0.0.1 :port2
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
DELETE FROM mycelium.audit_log WHERE shard_id = 's-repair';
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
DROP TABLE mycelium."data_s-repair";
DELETE FROM mycelium.shards WHERE shard_id = 's-repair';
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT local_records, remote_records, remote_head, match FROM mycelium.verify_replica('s-repair', 'node-2');
-- No write is waiting, yet the next round finds the copy gone, opens it again and refills it.
SELECT mycelium.push_now('s-repair') AS pushed;
SELECT local_records, remote_records, remote_head, match FROM mycelium.verify_replica('s-repair', 'node-2');
SELECT status, lag_changes, last_error FROM mycelium.push_status WHERE shard_id = 's-repair';
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-repair';

-- node-2's chain forks at the same length: its superuser rewrites its last entry and head (a
-- re-dated entry, say). Counts, digests and head seq agree; the head hashes do not.
\c mycelium postgres 127.0.0.1 :port2
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
UPDATE mycelium.audit_log SET created_at = created_at + interval '1 microsecond',
       entry_hash = sha256(entry_hash) WHERE shard_id = 's-repair' AND seq = 3;
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
UPDATE mycelium.shards SET head_hash = sha256(head_hash) WHERE shard_id = 's-repair';
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT local_records = remote_records AS records_equal, local_digest = remote_digest AS digests_equal,
       local_head = remote_head AS head_seqs_equal, local_head_hash = remote_head_hash AS head_hashes_equal,
       match
  FROM mycelium.verify_replica('s-repair', 'node-2');
-- The next round (a write is waiting) finds the fork, refuses to push onto it and says so.
\set prefix s
\set count 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-repair') AS pushed;
SELECT status, last_pushed_seq, lag_changes, last_error FROM mycelium.push_status WHERE shard_id = 's-repair';
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-repair';
-- Rebuilding the copy repairs it.
SELECT mycelium.remove_replica('s-repair', 'node-2');
SELECT mycelium.add_replica('s-repair', 'node-2');
SELECT match FROM mycelium.verify_replica('s-repair', 'node-2');
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-repair';
SELECT mycelium.remove_replica('s-repair', 'node-2');
SELECT mycelium.drop_shard('s-repair', force => true);

-- node-2 registers again at another port (signed by its own key): the postgres_fdw servers made
-- for it follow at once, so the next push goes to its new place. And back.
\set k2 `:sign public node-2`
SELECT encode(mycelium.registration_payload('node-2', 'validator', :'k2', '127.0.0.1', 1, '0.1.0'), 'hex') AS p2 \gset
\set s2 `:sign sign node-2 :p2`
SELECT mycelium.register_node('node-2', 'validator', :'k2', '127.0.0.1', 1, '0.1.0', '{}', :'s2');
SELECT s.srvname LIKE '%_push' AS push_server, o.option_value AS port
  FROM pg_foreign_server s JOIN mycelium.peer_servers p ON s.srvname IN (p.push_server, p.read_server)
  CROSS JOIN LATERAL pg_options_to_table(s.srvoptions) o
 WHERE p.node_id = 'node-2' AND o.option_name = 'port' ORDER BY 1;
SELECT encode(mycelium.registration_payload('node-2', 'validator', :'k2', '127.0.0.1', :port2, '0.1.0'), 'hex') AS p2 \gset
\set s2 `:sign sign node-2 :p2`
SELECT mycelium.register_node('node-2', 'validator', :'k2', '127.0.0.1', :port2, '0.1.0', '{}', :'s2');
SELECT count(*) AS servers_at_the_real_port
  FROM pg_foreign_server s JOIN mycelium.peer_servers p ON s.srvname IN (p.push_server, p.read_server)
  CROSS JOIN LATERAL pg_options_to_table(s.srvoptions) o
 WHERE p.node_id = 'node-2' AND o.option_name = 'port' AND o.option_value = :'port2';
