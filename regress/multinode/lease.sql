\set lease_echo :ECHO
\set ECHO none
\set QUIET on
-- pg_temp.regress_hold_lease(shard): makes this node hold the lease of an elected shard it is
-- the primary of, as its agent would (mycelium.report_consensus, schemas/CONSENSUS.md). Writes
-- on an elected shard need it. Functions in pg_temp belong to the session: after \c, include
-- this file again (helpers.sql includes it for the first connection). Superuser: it reads the
-- host's boot id as the agent does.
CREATE FUNCTION pg_temp.regress_hold_lease(shard text) RETURNS void
  LANGUAGE sql AS $$
  SELECT mycelium.report_consensus(ARRAY[s.shard_id], ARRAY[s.term], ARRAY[l.node_id],
           ARRAY[mycelium.monotonic_now_ms() + 60000],
           btrim(pg_read_file('/proc/sys/kernel/random/boot_id'), E'\n'))
    FROM mycelium.shards s CROSS JOIN mycelium.local_node l WHERE s.shard_id = $1 $$;
\set ECHO :lease_echo
