-- A replica down during writes: the pushes fail and are recorded with backoff; after the node
-- restarts, the replica catches up where it stopped and the digests are equal.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on

SELECT mycelium.create_shard('s-down', replicas => 0);
SELECT mycelium.add_replica('s-down', 'node-2');
\set shard s-down
\set prefix a
\set count 10
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-down') AS pushed;

\! "$MYCELIUM_HARNESS" stop 2
\set prefix b
\i :abs_srcdir/regress/multinode/signed_puts.sql
-- The push fails: nothing pushed, the failure recorded with the connection error.
SELECT mycelium.push_now('s-down') AS pushed;
-- The error names the node (not the postgres_fdw server made for it) and keeps the cause.
SELECT last_pushed_seq, lag_changes, attempts, last_error LIKE '%could not connect%' AS connection_error,
       last_error LIKE '%node "node-2"%' AS names_the_node, last_error NOT LIKE '%mycelium_peer_%' AS no_server_name,
       last_error LIKE '%Connection refused%' AS says_why,
       next_attempt > now() AS backing_off
  FROM mycelium.push_status WHERE shard_id = 's-down';
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-down';
-- Writes go on while the replica is away.
\set prefix c
\i :abs_srcdir/regress/multinode/signed_puts.sql

\! "$MYCELIUM_HARNESS" start 2
SELECT mycelium.push_now('s-down') AS pushed;
SELECT last_pushed_seq, lag_changes, attempts, last_error FROM mycelium.push_status WHERE shard_id = 's-down';
SELECT local_records, remote_records, local_head, remote_head, match FROM mycelium.verify_replica('s-down', 'node-2');
SELECT health FROM mycelium.shard_health WHERE shard_id = 's-down';
