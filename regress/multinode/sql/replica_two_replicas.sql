-- Writes on the primary reach two replicas: create_shard(replicas => 2) picks the nodes itself,
-- and the background worker pushes new writes without being asked.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on

SELECT mycelium.create_shard('s-two', replicas => 2);
SELECT node_id, status FROM mycelium.replicas WHERE shard_id = 's-two' ORDER BY node_id;

\set shard s-two
\set prefix w
\set count 30
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql

-- No push_now: the worker (running a round every 200 ms for this scenario) pushes to both
-- replicas; wait for it, at most 20 s.
ALTER SYSTEM SET mycelium.push_interval = '200ms';
SELECT pg_reload_conf();
DO $$
BEGIN
  FOR i IN 1..200 LOOP
    EXIT WHEN (SELECT bool_and(lag_changes = 0) FROM mycelium.push_status WHERE shard_id = 's-two');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT node_id, status, last_pushed_seq, lag_changes, last_error
  FROM mycelium.push_status WHERE shard_id = 's-two' ORDER BY node_id;
SELECT node_id, match FROM (VALUES ('node-2'), ('node-3')) n(node_id),
       LATERAL mycelium.verify_replica('s-two', node_id) ORDER BY node_id;
SELECT shard_id, health, active_replicas, max_lag_changes FROM mycelium.shard_health WHERE shard_id = 's-two';
ALTER SYSTEM SET mycelium.push_interval = '1h';
SELECT pg_reload_conf();

\c mycelium postgres 127.0.0.1 :port2
SELECT count(*) AS on_node_2, min(key) AS first_key FROM mycelium.data WHERE shard_id = 's-two';
\c mycelium postgres 127.0.0.1 :port3
SELECT count(*) AS on_node_3 FROM mycelium.data WHERE shard_id = 's-two';
SELECT valid, entries FROM mycelium.verify_audit('s-two');
