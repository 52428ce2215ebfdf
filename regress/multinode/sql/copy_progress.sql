-- While add_replica copies a shard, other sessions watch it in mycelium.replica_copy_progress:
-- entries copied of total, and the rate. The row goes away when the copy ends.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-big', replicas => 0);
\set shard s-big
\set prefix b
\set count 1500
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql

-- The copy runs in another session, in small batches so that it takes a while.
\! (psql -X -q -h 127.0.0.1 -p "$MYCELIUM_NODE1_PORT" -U postgres -d mycelium -c "SET mycelium.push_batch_size = 5" -c "SELECT mycelium.add_replica('s-big', 'node-3')" >/dev/null 2>&1 &)
CREATE TEMP TABLE seen AS SELECT * FROM mycelium.replica_copy_progress WHERE false;
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    INSERT INTO seen SELECT * FROM mycelium.replica_copy_progress WHERE shard_id = 's-big' AND copied > 0;
    EXIT WHEN FOUND;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $$;
SELECT shard_id, node_id, total, copied > 0 AND copied <= total AS partly_copied,
       percent BETWEEN 0 AND 100 AS percent_ok, entries_per_second > 0 AS has_rate
  FROM seen;

-- Wait for the copy to finish (at most 60 s): then the replica is active and the row is gone.
DO $$
BEGIN
  FOR i IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT FROM mycelium.replicas WHERE shard_id = 's-big' AND status = 'active');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT status FROM mycelium.replicas WHERE shard_id = 's-big';
SELECT count(*) AS copies_running FROM mycelium.replica_copy_progress;
SELECT remote_records, match FROM mycelium.verify_replica('s-big', 'node-3');
