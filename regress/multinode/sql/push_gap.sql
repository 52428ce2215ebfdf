-- A primary whose log has lost the entries after a replica's head (its superuser deleted them
-- behind the guard trigger) pushes nothing, and the replica records no rejection: the push says
-- so in push_status instead of reading a rejection that is not there (which crashed the
-- backend), and verify_audit names the broken chain.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-gap', replicas => 0);
SELECT mycelium.add_replica('s-gap', 'node-2');
\set shard s-gap
\set prefix g
\set count 3
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-gap') AS pushed;
\set prefix h
\set count 2
\i :abs_srcdir/regress/multinode/signed_puts.sql
ALTER TABLE mycelium.audit_log DISABLE TRIGGER guard_audit_log;
DELETE FROM mycelium.audit_log WHERE shard_id = 's-gap' AND seq > 3;
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
SELECT mycelium.push_now('s-gap') AS pushed;
SELECT status, last_pushed_seq, last_error FROM mycelium.push_status WHERE shard_id = 's-gap';
SELECT valid, reason FROM mycelium.verify_audit('s-gap');
-- The same backend answers: nothing crashed.
SELECT count(*) = 1 AS same_backend FROM pg_stat_activity WHERE pid = pg_backend_pid();
SELECT mycelium.remove_replica('s-gap', 'node-2');
SELECT mycelium.drop_shard('s-gap', force => true);
