-- The primary killed in the middle of pushing a batch (immediate shutdown, no clean commit):
-- after it restarts, a new push continues from the replica's own chain head, and the replica
-- holds every entry exactly once.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on

SELECT mycelium.create_shard('s-crash', replicas => 0);
SELECT mycelium.add_replica('s-crash', 'node-2');
\set shard s-crash
\set prefix r
\set count 300
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql

-- A push in small batches in the background, and node 1 killed while it runs. Whether the kill
-- lands before, during or after a batch changes nothing below: that is the point.
\! (psql -X -q -h 127.0.0.1 -p "$MYCELIUM_NODE1_PORT" -U postgres -d mycelium -c "SET mycelium.push_batch_size = 5" -c "SELECT mycelium.push_now('s-crash')" >/dev/null 2>&1 &) ; sleep 0.3; "$MYCELIUM_HARNESS" restart 1 --immediate

\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.push_now('s-crash') >= 0 AS pushed_rest;
SELECT last_pushed_seq, lag_changes, last_error FROM mycelium.push_status WHERE shard_id = 's-crash';
SELECT local_records, remote_records, local_head, remote_head, match FROM mycelium.verify_replica('s-crash', 'node-2');

\c mycelium postgres 127.0.0.1 :port2
-- Every seq once, 1 .. 300, and nothing refused.
SELECT count(*) AS entries, count(DISTINCT seq) AS distinct_seqs, min(seq), max(seq)
  FROM mycelium.audit_log WHERE shard_id = 's-crash';
SELECT count(*) AS rejections FROM mycelium.inbox_rejections WHERE shard_id = 's-crash';
SELECT valid FROM mycelium.verify_audit('s-crash');
