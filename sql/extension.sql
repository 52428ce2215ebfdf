-- CREATE EXTENSION mycelium installs schema mycelium with its version and node metadata.
CREATE EXTENSION mycelium;

SELECT extversion = mycelium.version() AS library_matches_catalog
  FROM pg_extension WHERE extname = 'mycelium';

SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'mycelium';

-- The node table has the columns of the architecture seed.
SELECT column_name, data_type, is_nullable
  FROM information_schema.columns
 WHERE table_schema = 'mycelium' AND table_name = 'node_metadata'
 ORDER BY ordinal_position;

-- The boundary probe is not for everyone.
SELECT has_function_privilege('public', 'mycelium._boundary_probe(text)', 'EXECUTE') AS public_may_probe;
