-- The C++/PostgreSQL error boundary, in both directions, on the installed library.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

-- A C++ exception thrown with live C++ objects becomes an ordinary ERROR (SQLSTATE XX000,
-- internal_error) instead of aborting the backend ...
SELECT mycelium._boundary_probe('cpp_exception');
SELECT pg_temp.error_of($$SELECT mycelium._boundary_probe('cpp_exception')$$);
-- ... the session is still alive, and the objects were destroyed on the way out.
SELECT mycelium._boundary_probe('live_objects') AS live_objects;

-- A PostgreSQL ERROR raised under C++ frames keeps its own SQLSTATE (22P02, from int4in) and
-- message, and the C++ frames it crossed were unwound.
SELECT mycelium._boundary_probe('pg_error');
SELECT pg_temp.error_of($$SELECT mycelium._boundary_probe('pg_error')$$);
SELECT mycelium._boundary_probe('live_objects') AS live_objects;

-- A C++ mycelium::Error carries its SQLSTATE (22023) through the boundary; NULL input too.
SELECT pg_temp.error_of($$SELECT mycelium._boundary_probe('no such mode')$$);
SELECT pg_temp.error_of($$SELECT mycelium._boundary_probe(NULL)$$);

-- A message and a detail longer than the guard's fixed buffers (1 KiB) arrive whole.
DO $$
DECLARE
  msg text;
  det text;
BEGIN
  PERFORM mycelium._boundary_probe('long_error');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RAISE NOTICE '% (%): message % bytes ending "%", detail % bytes ending "%"', SQLSTATE,
    left(msg, 30), length(msg), right(msg, 9), length(det), right(det, 9);
END $$;

-- Errors inside a transaction abort only that transaction; a savepoint recovers as usual.
BEGIN;
SAVEPOINT before_probe;
SELECT mycelium._boundary_probe('pg_error');
ROLLBACK TO SAVEPOINT before_probe;
SELECT mycelium.version() IS NOT NULL AS works_after_rollback_to_savepoint;
COMMIT;

-- A C++ exception out of a subtransaction the extension opened (pg::in_subtransaction) closes
-- it first: an enclosing PL/pgSQL EXCEPTION block then rolls back its own block, so the row
-- written in the block is gone and the one written after it stays.
CREATE TEMP TABLE subxact_probe (n int);
DO $$
BEGIN
  BEGIN
    INSERT INTO subxact_probe VALUES (1);
    PERFORM mycelium._boundary_probe('subtransaction_cpp_exception');
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'caught: % (%)', SQLERRM, SQLSTATE;
  END;
  INSERT INTO subxact_probe VALUES (2);
END $$;
SELECT array_agg(n ORDER BY n) AS rows_kept FROM subxact_probe;

-- Many failures in one session leak nothing and never crash.
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    BEGIN
      PERFORM mycelium._boundary_probe(CASE WHEN i % 2 = 0 THEN 'pg_error' ELSE 'cpp_exception' END);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
END $$;
SELECT mycelium._boundary_probe('live_objects') AS live_objects;

-- The same backend served every statement above: no crash recovery happened.
SELECT count(*) = 1 AS same_backend FROM pg_stat_activity WHERE pid = pg_backend_pid();
