\set lease_echo :ECHO
\set ECHO none
\set QUIET on
-- pg_temp.regress_hold_lease(shard): makes this node hold the lease of an elected shard it is
-- the primary of, as its agent would (mycelium.report_consensus, schemas/CONSENSUS.md). Writes
-- on an elected shard need it. Functions in pg_temp belong to the session: after \c, include
-- this file again (helpers.sql includes it for the first connection).
-- TODO(merge with the lease check): call mycelium.report_consensus here; until then the data
-- plane checks no lease and this does nothing.
CREATE FUNCTION pg_temp.regress_hold_lease(shard text) RETURNS void
  LANGUAGE sql AS $$ SELECT $$;
\set ECHO :lease_echo
