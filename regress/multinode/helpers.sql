\set ECHO none
-- Preamble of every multi-node scenario:
--   \getenv abs_srcdir PG_ABS_SRCDIR
--   \i :abs_srcdir/helpers.sql
-- PG_ABS_SRCDIR is regress/multinode here; this points abs_srcdir at the repository root and
-- loads the shared helpers (regress/helpers.sql: pg_temp.error_of, :sign), then sets
--   :nodes            the number of nodes (MYCELIUM_NODES)
--   :port1 .. :port9  each node's port, for  \c mycelium postgres 127.0.0.1 :port2
--   :tmpdir           the harness's scratch directory
-- and keeps psql quiet (regress/helpers.sql turns QUIET off): otherwise every \c to another
-- node would print its port, which changes from run to run.
-- pg_temp.error_of lives in the session: after \c, `\i :abs_srcdir/regress/helpers.sql` again.
-- It also defines pg_temp.regress_hold_lease(shard) (lease.sql: a write on an elected shard needs
-- its node to hold the shard's lease); after \c, `\i :abs_srcdir/regress/multinode/lease.sql`.
\getenv nodes MYCELIUM_NODES
\getenv tmpdir MYCELIUM_MN_DIR
\getenv port1 MYCELIUM_NODE1_PORT
\getenv port2 MYCELIUM_NODE2_PORT
\getenv port3 MYCELIUM_NODE3_PORT
\getenv port4 MYCELIUM_NODE4_PORT
\getenv port5 MYCELIUM_NODE5_PORT
\getenv port6 MYCELIUM_NODE6_PORT
\getenv port7 MYCELIUM_NODE7_PORT
\getenv port8 MYCELIUM_NODE8_PORT
\getenv port9 MYCELIUM_NODE9_PORT
\set abs_srcdir :abs_srcdir/../..
\i :abs_srcdir/regress/multinode/lease.sql
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
