\set ECHO none
-- Elected shards' state, set by hand for the tests of the write side (sql/elected_shards.sql);
-- load after helpers.sql, as superuser:
--   \i :abs_srcdir/regress/elected_helpers.sql
\set QUIET on

-- pg_temp.set_epoch(shard, term, primary_node): applies an epoch starting at the shard's
-- current head, as the local agent does with what its group committed.
CREATE OR REPLACE FUNCTION pg_temp.set_epoch(p_shard text, p_term bigint, p_primary text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mycelium.apply_shard_epoch(s.shard_id, p_term, p_primary, s.head_seq, s.head_hash)
     FROM mycelium.shards s WHERE s.shard_id = p_shard;
END $$;

-- pg_temp.lease(shard, term, leader, ms): reports through mycelium.report_consensus, as the
-- local agent would, that the shard's group is in `term` led by `leader`, with this node's lease
-- ending `ms` milliseconds from now (NULL: no lease).
CREATE OR REPLACE FUNCTION pg_temp.lease(p_shard text, p_term bigint, p_leader text, p_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mycelium.report_consensus(
    ARRAY[p_shard], ARRAY[p_term], ARRAY[p_leader],
    ARRAY[CASE WHEN p_ms IS NULL THEN 0 ELSE mycelium.monotonic_now_ms() + p_ms END],
    pg_temp.boot_id());
END $$;

-- This host's boot id, as the agent reads it (superuser: pg_read_file outside the data
-- directory).
CREATE OR REPLACE FUNCTION pg_temp.boot_id() RETURNS text LANGUAGE sql AS $$
  SELECT btrim(pg_read_file('/proc/sys/kernel/random/boot_id'), E'\n') $$;

\set QUIET off
\set ECHO all
