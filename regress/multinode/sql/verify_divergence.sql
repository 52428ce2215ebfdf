-- verify_replica compares record counts, digests over (key, version, signature) and chain heads;
-- a change made by hand on the replica (a superuser behind the trigger's back) shows up.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT local_records, remote_records, match FROM mycelium.verify_replica('s-init', 'node-2');

\c mycelium postgres 127.0.0.1 :port2
ALTER TABLE mycelium.data DISABLE TRIGGER verify_data_change;
UPDATE mycelium.data SET version = 7 WHERE shard_id = 's-init' AND key = 'k5';
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER verify_data_change;

\c mycelium postgres 127.0.0.1 :port1
SELECT local_records, remote_records, local_head, remote_head, local_digest = remote_digest AS digests_equal, match
  FROM mycelium.verify_replica('s-init', 'node-2');

-- Put back, it matches again.
\c mycelium postgres 127.0.0.1 :port2
ALTER TABLE mycelium.data DISABLE TRIGGER verify_data_change;
UPDATE mycelium.data SET version = 1 WHERE shard_id = 's-init' AND key = 'k5';
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER verify_data_change;
\c mycelium postgres 127.0.0.1 :port1
SELECT match FROM mycelium.verify_replica('s-init', 'node-2');
