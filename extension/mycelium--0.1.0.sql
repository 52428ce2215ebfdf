-- Mycelium 0.1.0 install script. The extension is created in schema mycelium (mycelium.control).
\echo Use "CREATE EXTENSION mycelium" to load this file. \quit

CREATE FUNCTION mycelium.version() RETURNS text
  AS 'MODULE_PATHNAME', 'mycelium_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mycelium.version() IS 'Version of the loaded mycelium library';

-- Nodes of the network (validators and miners), as in the architecture seed.
CREATE TABLE mycelium.node_metadata (
  node_id      text PRIMARY KEY,
  version      text NOT NULL,
  ip           text NOT NULL,
  port         integer NOT NULL,
  node_type    text NOT NULL,
  public_key   text NOT NULL,
  last_seen    timestamptz,
  capabilities jsonb,
  shard_ranges jsonb,
  is_active    boolean
);

-- Test hook for the C++/PostgreSQL error boundary; see extension/src/boundary_probe.cpp.
CREATE FUNCTION mycelium._boundary_probe(mode text) RETURNS integer
  AS 'MODULE_PATHNAME', 'mycelium_boundary_probe'
  LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION mycelium._boundary_probe(text) FROM PUBLIC;
