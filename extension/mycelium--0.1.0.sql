-- Mycelium 0.1.0 install script. The extension lives in schema mycelium (mycelium.control).
-- Until 0.1.0 is released this script is edited in place; later versions get upgrade scripts.
\echo Use "CREATE EXTENSION mycelium" to load this file. \quit

------------------------------------------------------------------------------------------------
-- Roles. NOLOGIN groups; an operator grants one of them to each node's LOGIN role (README).
------------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_admin') THEN
    CREATE ROLE mycelium_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_validator') THEN
    CREATE ROLE mycelium_validator NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_miner') THEN
    CREATE ROLE mycelium_miner NOLOGIN;
  END IF;
END $$;

GRANT USAGE ON SCHEMA mycelium TO mycelium_admin, mycelium_validator, mycelium_miner;

------------------------------------------------------------------------------------------------
-- Library functions
------------------------------------------------------------------------------------------------
CREATE FUNCTION mycelium.version() RETURNS text
  AS 'MODULE_PATHNAME', 'mycelium_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mycelium.version() IS 'Version of the loaded mycelium library';

-- The exact bytes a client signs (schemas/SIGNING.md). op is 'put' or 'delete'; value is
-- ignored for 'delete' and may be NULL there.
CREATE FUNCTION mycelium.signing_payload(op text, shard_id text, key text, value jsonb,
                                         version integer, created_by text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'mycelium_signing_payload'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The exact bytes a node signs to register itself (proof of possession).
CREATE FUNCTION mycelium.registration_payload(node_id text, node_type text, public_key text,
                                              ip text, port integer, version text,
                                              capabilities jsonb DEFAULT '{}') RETURNS bytea
  AS 'MODULE_PATHNAME', 'mycelium_registration_payload'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Whether signature (hex) is public_key's (hex) Ed25519 signature of payload.
CREATE FUNCTION mycelium.verify_signature(public_key text, payload bytea, signature text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'mycelium_verify_signature'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The canonical JSON text of a value, as signed.
CREATE FUNCTION mycelium.canonical_json(value jsonb) RETURNS text
  AS 'MODULE_PATHNAME', 'mycelium_canonical_json'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

------------------------------------------------------------------------------------------------
-- Nodes
------------------------------------------------------------------------------------------------
-- The nodes of the network, as in the architecture seed, plus the registration proof.
CREATE TABLE mycelium.node_metadata (
  node_id       text PRIMARY KEY CHECK (node_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  version       text NOT NULL,
  ip            text NOT NULL,
  port          integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  node_type     text NOT NULL CHECK (node_type IN ('validator', 'miner')),
  public_key    text NOT NULL UNIQUE CHECK (public_key ~ '^[0-9a-f]{64}$'),
  last_seen     timestamptz,
  capabilities  jsonb NOT NULL DEFAULT '{}',
  shard_ranges  jsonb,
  is_active     boolean NOT NULL DEFAULT true,
  stake         numeric NOT NULL DEFAULT 0 CHECK (stake >= 0),
  registration_signature text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  -- The node's database, for postgres_fdw (host = ip, port = port). Not part of the signed
  -- registration: an operator sets it with set_node_database() when it differs from ours.
  dbname        text NOT NULL DEFAULT pg_catalog.current_database(),
  -- The protocol version this node's agent last negotiated with it (mycelium-agent).
  protocol_version text
);

-- Registers a node (or refreshes a registration signed by the same key). The signature over
-- the registration payload (SIGNING.md) proves possession of the secret key.
CREATE FUNCTION mycelium.register_node(node_id text, node_type text, public_key text, ip text,
                                       port integer, version text,
                                       capabilities jsonb DEFAULT '{}', signature text DEFAULT NULL)
  RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_register_node'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION mycelium.deactivate_node(node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_deactivate_node'
  LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

------------------------------------------------------------------------------------------------
-- Shards and data
------------------------------------------------------------------------------------------------
CREATE TABLE mycelium.shards (
  shard_id    text PRIMARY KEY CHECK (shard_id ~ '^[a-z0-9][a-z0-9_-]{0,47}$'),
  partition   regclass NOT NULL,
  replicas    integer NOT NULL DEFAULT 1 CHECK (replicas >= 0),
  -- primary: written here. replica: a verified copy of another node's shard, changed only
  -- through mycelium.inbox. remote: read through postgres_fdw from primary_node.
  kind        text NOT NULL DEFAULT 'primary' CHECK (kind IN ('primary', 'replica', 'remote')),
  primary_node text,
  -- Validators allowed to write the shard; NULL means every active validator.
  validators  text[],
  created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  -- Head of the shard's audit chain: seq and entry_hash of its last sync_changes entry.
  head_seq    bigint NOT NULL DEFAULT 0,
  head_hash   bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
);

-- Every record, one LIST partition per shard. No unique index on the parent (a parent with one
-- cannot take postgres_fdw foreign partitions); each partition has a unique index on key, which
-- gives the same guarantee as a primary key on (shard_id, key).
CREATE TABLE mycelium.data (
  key         text NOT NULL,
  value       jsonb NOT NULL,
  version     integer NOT NULL,
  created_by  text NOT NULL,
  signature   text NOT NULL,
  shard_id    text NOT NULL
) PARTITION BY LIST (shard_id);

-- A deleted key's last version and the signed delete that ended it; never removed except with
-- its shard, so an old put cannot bring the key back.
CREATE TABLE mycelium.tombstones (
  shard_id    text NOT NULL,
  key         text NOT NULL,
  version     integer NOT NULL,
  created_by  text NOT NULL,
  signature   text NOT NULL,
  deleted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (shard_id, key)
);

CREATE FUNCTION mycelium.create_shard(shard_id text DEFAULT NULL, replicas integer DEFAULT 1,
                                      validators text[] DEFAULT NULL) RETURNS text
  AS 'MODULE_PATHNAME', 'mycelium_create_shard'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION mycelium.drop_shard(shard_id text, force boolean DEFAULT false) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_drop_shard'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Signed writes. Both run as the caller, so the caller's privileges apply, and go through the
-- same verifying triggers as plain INSERT/UPDATE.
CREATE FUNCTION mycelium.put(shard_id text, key text, value jsonb, version integer,
                             created_by text, signature text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_put'
  LANGUAGE C VOLATILE;

CREATE FUNCTION mycelium.delete(shard_id text, key text, version integer, created_by text,
                                signature text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_delete'
  LANGUAGE C VOLATILE;

CREATE FUNCTION mycelium.get(shard_id text, key text)
  RETURNS TABLE (key text, value jsonb, version integer, created_by text, signature text)
  LANGUAGE sql STABLE
  AS $$ SELECT d.key, d.value, d.version, d.created_by, d.signature
          FROM mycelium.data d WHERE d.shard_id = $1 AND d.key = $2 $$;

-- The version the next write of a key must follow: the live row's, else the tombstone's, else 0.
CREATE FUNCTION mycelium.current_version(shard_id text, key text) RETURNS integer
  LANGUAGE sql STABLE
  AS $$ SELECT COALESCE((SELECT d.version FROM mycelium.data d
                          WHERE d.shard_id = $1 AND d.key = $2),
                        (SELECT t.version FROM mycelium.tombstones t
                          WHERE t.shard_id = $1 AND t.key = $2), 0) $$;

------------------------------------------------------------------------------------------------
-- Audit log
------------------------------------------------------------------------------------------------
-- Every accepted modification, appended by the verifying triggers in the same transaction.
-- Entries of a shard form a hash chain (SIGNING.md, "Audit chain").
CREATE TABLE mycelium.sync_changes (
  change_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shard_id     text NOT NULL,
  seq          bigint NOT NULL,
  op           text NOT NULL CHECK (op IN ('put', 'delete')),
  key          text NOT NULL,
  version      integer NOT NULL,
  value        jsonb,
  created_by   text NOT NULL,
  signature    text NOT NULL,
  created_at   timestamptz NOT NULL,
  origin_node  text NOT NULL,
  prev_hash    bytea NOT NULL,
  entry_hash   bytea NOT NULL,
  -- Replication status; the only columns that may change, and only through the extension.
  -- pending: not yet on every active replica; synced: on all of them; applied: an entry this
  -- node received as a replica.
  sync_status  text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'synced', 'applied')),
  attempts     integer NOT NULL DEFAULT 0,
  last_attempt timestamptz,
  last_error   text,
  UNIQUE (shard_id, seq)
);

CREATE FUNCTION mycelium.verify_audit(shard_id text, OUT valid boolean, OUT entries bigint,
                                      OUT first_broken_change_id bigint, OUT reason text)
  AS 'MODULE_PATHNAME', 'mycelium_verify_audit'
  LANGUAGE C STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The node this database speaks for, recorded as origin_node in the audit log.
CREATE TABLE mycelium.local_node (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  node_id   text NOT NULL
);
-- Until an operator names it, the node is known by its cluster's system identifier.
INSERT INTO mycelium.local_node (node_id)
  SELECT 'pg-' || system_identifier FROM pg_catalog.pg_control_system();
CREATE FUNCTION mycelium.set_local_node(node_id text) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ INSERT INTO mycelium.local_node (node_id) VALUES ($1)
        ON CONFLICT (singleton) DO UPDATE SET node_id = EXCLUDED.node_id $$;

------------------------------------------------------------------------------------------------
-- Verifying triggers (C++). ENABLE ALWAYS: session_replication_role = replica does not skip
-- them. They run as the extension owner (SECURITY DEFINER) so that they can read keys and
-- append to the audit log, which no other role may write.
------------------------------------------------------------------------------------------------
CREATE FUNCTION mycelium.verify_data_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_verify_data_change'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER verify_data_change BEFORE INSERT OR UPDATE OR DELETE ON mycelium.data
  FOR EACH ROW EXECUTE FUNCTION mycelium.verify_data_change();
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER verify_data_change;

CREATE FUNCTION mycelium.verify_tombstone() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_verify_tombstone'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER verify_tombstone BEFORE INSERT OR UPDATE OR DELETE ON mycelium.tombstones
  FOR EACH ROW EXECUTE FUNCTION mycelium.verify_tombstone();
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER verify_tombstone;

CREATE FUNCTION mycelium.guard_audit_log() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_guard_audit_log'
  LANGUAGE C;
CREATE TRIGGER guard_audit_log BEFORE INSERT OR UPDATE OR DELETE ON mycelium.sync_changes
  FOR EACH ROW EXECUTE FUNCTION mycelium.guard_audit_log();
CREATE TRIGGER guard_audit_log_truncate BEFORE TRUNCATE ON mycelium.sync_changes
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.guard_audit_log();
ALTER TABLE mycelium.sync_changes ENABLE ALWAYS TRIGGER guard_audit_log;
ALTER TABLE mycelium.sync_changes ENABLE ALWAYS TRIGGER guard_audit_log_truncate;
CREATE TRIGGER guard_tombstones_truncate BEFORE TRUNCATE ON mycelium.tombstones
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.guard_audit_log();
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER guard_tombstones_truncate;
CREATE TRIGGER guard_data_truncate BEFORE TRUNCATE ON mycelium.data
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.guard_audit_log();
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER guard_data_truncate;

------------------------------------------------------------------------------------------------
-- Replication (postgres_fdw). A shard is written on its primary; its audit entries are pushed,
-- in seq order, into mycelium.inbox on each replica node, which verifies every entry again
-- (signature, version order, chain link) before applying it. schemas/REPLICATION.md.
------------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_replicator') THEN
    CREATE ROLE mycelium_replicator NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mycelium TO mycelium_replicator;

-- Credentials this node uses to reach other nodes: 'sync' (a login in mycelium_replicator
-- there) and 'read' (a login in mycelium_miner there, for attached remote shards). Superusers
-- only: no grant on this table to anyone.
CREATE TABLE mycelium.peer_credentials (
  node_id  text NOT NULL REFERENCES mycelium.node_metadata ON DELETE CASCADE,
  purpose  text NOT NULL CHECK (purpose IN ('sync', 'read')),
  username text NOT NULL,
  password text,
  PRIMARY KEY (node_id, purpose)
);
CREATE FUNCTION mycelium.set_peer_credentials(node_id text, purpose text, username text,
                                              password text DEFAULT NULL) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ INSERT INTO mycelium.peer_credentials VALUES ($1, $2, $3, $4)
        ON CONFLICT (node_id, purpose) DO UPDATE
          SET username = EXCLUDED.username, password = EXCLUDED.password $$;

CREATE FUNCTION mycelium.set_node_database(node_id text, dbname text) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ UPDATE mycelium.node_metadata SET dbname = $2 WHERE node_id = $1 $$;

-- The postgres_fdw servers and foreign-table schema made for each peer node.
CREATE TABLE mycelium.peer_servers (
  node_id     text PRIMARY KEY REFERENCES mycelium.node_metadata ON DELETE CASCADE,
  peer_no     integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  sync_server name NOT NULL,
  read_server name NOT NULL,
  schema_name name NOT NULL
);

-- The replicas of this node's shards and how far each has been pushed.
CREATE TABLE mycelium.replicas (
  shard_id     text NOT NULL REFERENCES mycelium.shards ON DELETE CASCADE,
  node_id      text NOT NULL REFERENCES mycelium.node_metadata,
  status       text NOT NULL DEFAULT 'copying' CHECK (status IN ('copying', 'active')),
  pushed_seq   bigint NOT NULL DEFAULT 0,   -- the replica's chain head after the last push
  pushed_at    timestamptz,
  attempts     integer NOT NULL DEFAULT 0,  -- failed pushes since the last success
  last_attempt timestamptz,
  next_attempt timestamptz,                 -- backoff: the worker waits until then
  last_error   text,
  added_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (shard_id, node_id)
);

-- Where replicated entries arrive. A BEFORE INSERT trigger verifies and applies each entry and
-- stores nothing here; refused entries are recorded in inbox_rejections.
CREATE TABLE mycelium.inbox (
  shard_id     text NOT NULL,
  seq          bigint NOT NULL,
  op           text NOT NULL,   -- put, delete; open and close create and drop the replica
  key          text NOT NULL,
  version      integer NOT NULL,
  value        jsonb,
  created_by   text NOT NULL,
  signature    text NOT NULL,
  created_at   timestamptz NOT NULL,
  origin_node  text NOT NULL,
  prev_hash    bytea NOT NULL,
  entry_hash   bytea NOT NULL
);
CREATE TABLE mycelium.inbox_rejections (
  rejection_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rejected_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  shard_id     text,
  seq          bigint,
  origin_node  text,
  sqlstate     text NOT NULL,
  reason       text NOT NULL
);
CREATE FUNCTION mycelium.apply_inbox_entry() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_apply_inbox_entry'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER apply_inbox_entry BEFORE INSERT ON mycelium.inbox
  FOR EACH ROW EXECUTE FUNCTION mycelium.apply_inbox_entry();
ALTER TABLE mycelium.inbox ENABLE ALWAYS TRIGGER apply_inbox_entry;
-- A shard's chain head is written once per statement, not once per entry (inbox.cpp).
CREATE FUNCTION mycelium.inbox_statement_start() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_inbox_statement_start'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.inbox_statement_end() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_inbox_statement_end'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER inbox_statement_start BEFORE INSERT ON mycelium.inbox
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.inbox_statement_start();
CREATE TRIGGER inbox_statement_end AFTER INSERT ON mycelium.inbox
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.inbox_statement_end();
ALTER TABLE mycelium.inbox ENABLE ALWAYS TRIGGER inbox_statement_start;
ALTER TABLE mycelium.inbox ENABLE ALWAYS TRIGGER inbox_statement_end;

-- What a pushing primary reads back from a replica.
CREATE VIEW mycelium.chain_heads AS
  SELECT shard_id, kind, head_seq, head_hash, primary_node FROM mycelium.shards;

-- The agent records a peer it authenticated: when, and the protocol version negotiated.
CREATE FUNCTION mycelium.note_peer(node_id text, protocol_version text) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ UPDATE mycelium.node_metadata SET last_seen = now(), protocol_version = $2
         WHERE node_id = $1 $$;
CREATE VIEW mycelium.shard_digests AS
  SELECT shard_id, count(*) AS records,
         sha256(convert_to(COALESCE(string_agg(key || ':' || version || ':' || signature, ','
                                               ORDER BY key), ''), 'UTF8')) AS digest
    FROM mycelium.data GROUP BY shard_id;

CREATE FUNCTION mycelium.add_replica(shard_id text, node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_add_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.remove_replica(shard_id text, node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_remove_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.sync_now(shard_id text DEFAULT NULL) RETURNS bigint
  AS 'MODULE_PATHNAME', 'mycelium_sync_now'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- The background worker's round: like sync_now, but replicas in backoff wait.
CREATE FUNCTION mycelium._sync_round() RETURNS bigint
  AS 'MODULE_PATHNAME', 'mycelium_sync_round'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.verify_replica(shard_id text, node_id text,
    OUT local_records bigint, OUT remote_records bigint, OUT local_digest text,
    OUT remote_digest text, OUT local_head bigint, OUT remote_head bigint, OUT match boolean)
  AS 'MODULE_PATHNAME', 'mycelium_verify_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Picks target nodes itself: active nodes with sync credentials, fewest replicas first.
CREATE FUNCTION mycelium.set_replica_count(shard_id text, n integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  have integer;
  target text;
BEGIN
  IF n IS NULL OR n < 0 THEN
    RAISE EXCEPTION 'n must be 0 or more' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM mycelium.shards s WHERE s.shard_id = $1 AND s.kind = 'primary') THEN
    RAISE EXCEPTION 'shard "%" is not a primary shard of this node', $1 USING ERRCODE = '42704';
  END IF;
  UPDATE mycelium.shards s SET replicas = n WHERE s.shard_id = $1;
  SELECT count(*) INTO have FROM mycelium.replicas r WHERE r.shard_id = $1;
  WHILE have < n LOOP
    SELECT m.node_id INTO target
      FROM mycelium.node_metadata m
      JOIN mycelium.peer_credentials c ON c.node_id = m.node_id AND c.purpose = 'sync'
     WHERE m.is_active
       AND m.node_id <> (SELECT l.node_id FROM mycelium.local_node l)
       AND NOT EXISTS (SELECT 1 FROM mycelium.replicas r WHERE r.shard_id = $1 AND r.node_id = m.node_id)
     ORDER BY (SELECT count(*) FROM mycelium.replicas r WHERE r.node_id = m.node_id), m.node_id
     LIMIT 1;
    EXIT WHEN target IS NULL;
    PERFORM mycelium.add_replica($1, target);
    have := have + 1;
  END LOOP;
  WHILE have > n LOOP
    SELECT r.node_id INTO target FROM mycelium.replicas r WHERE r.shard_id = $1
     ORDER BY (SELECT count(*) FROM mycelium.replicas o WHERE o.node_id = r.node_id) DESC, r.node_id DESC
     LIMIT 1;
    PERFORM mycelium.remove_replica($1, target);
    have := have - 1;
  END LOOP;
  RETURN have;
END $$;

CREATE FUNCTION mycelium.attach_remote_shard(shard_id text, node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_attach_remote_shard'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.detach_remote_shard(shard_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_detach_remote_shard'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Initial copies running now (add_replica): entries copied of total, and the rate so far.
-- Filled only when the library is in shared_preload_libraries.
CREATE FUNCTION mycelium._replica_copy_progress(OUT pid integer, OUT shard_id text,
    OUT node_id text, OUT copied bigint, OUT total bigint, OUT started_at timestamptz)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'mycelium_replica_copy_progress'
  LANGUAGE C VOLATILE;
CREATE VIEW mycelium.replica_copy_progress AS
  SELECT pid, shard_id, node_id, copied, total,
         round(100.0 * copied / NULLIF(total, 0), 1) AS percent,
         round(copied / GREATEST(extract(epoch FROM pg_catalog.now() - started_at), 0.001), 1)
           AS entries_per_second,
         started_at
    FROM mycelium._replica_copy_progress();

CREATE VIEW mycelium.sync_status AS
  SELECT r.shard_id, r.node_id, r.status, r.pushed_seq AS last_pushed_seq,
         s.head_seq - r.pushed_seq AS lag_changes,
         COALESCE(extract(epoch FROM pg_catalog.now() - (
           SELECT c.created_at FROM mycelium.sync_changes c
            WHERE c.shard_id = r.shard_id AND c.seq = r.pushed_seq + 1)), 0)::double precision
           AS lag_seconds,
         r.pushed_at, r.attempts, r.last_attempt, r.next_attempt, r.last_error
    FROM mycelium.replicas r JOIN mycelium.shards s USING (shard_id);

CREATE VIEW mycelium.shard_health AS
  SELECT s.shard_id, s.kind, s.primary_node, s.head_seq, s.replicas AS wanted_replicas,
         count(r.node_id) FILTER (WHERE r.status = 'active') AS active_replicas,
         count(r.node_id) FILTER (WHERE r.last_error IS NOT NULL) AS failing_replicas,
         COALESCE(max(s.head_seq - r.pushed_seq), 0) AS max_lag_changes,
         CASE WHEN s.kind <> 'primary' THEN s.kind
              WHEN count(r.node_id) FILTER (WHERE r.last_error IS NOT NULL) > 0 THEN 'failing'
              WHEN count(r.node_id) FILTER (WHERE r.status = 'active') < s.replicas THEN 'under-replicated'
              WHEN COALESCE(max(s.head_seq - r.pushed_seq), 0) > 0 THEN 'lagging'
              ELSE 'healthy' END AS health
    FROM mycelium.shards s LEFT JOIN mycelium.replicas r USING (shard_id)
   GROUP BY s.shard_id;

------------------------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA mycelium FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA mycelium FROM PUBLIC;

GRANT EXECUTE ON FUNCTION mycelium.version(), mycelium.signing_payload(text, text, text, jsonb, integer, text),
  mycelium.registration_payload(text, text, text, text, integer, text, jsonb),
  mycelium.verify_signature(text, bytea, text),
  mycelium.canonical_json(jsonb), mycelium.get(text, text), mycelium.current_version(text, text),
  mycelium.verify_audit(text), mycelium._replica_copy_progress()
  TO mycelium_admin, mycelium_validator, mycelium_miner;
GRANT SELECT ON mycelium.node_metadata, mycelium.shards, mycelium.data, mycelium.tombstones,
  mycelium.sync_changes, mycelium.local_node
  TO mycelium_admin, mycelium_validator, mycelium_miner;

-- Validators write records, and only records; every write is verified by the triggers.
GRANT INSERT, UPDATE, DELETE ON mycelium.data TO mycelium_validator;
GRANT INSERT, UPDATE ON mycelium.tombstones TO mycelium_validator;
GRANT EXECUTE ON FUNCTION mycelium.put(text, text, jsonb, integer, text, text),
  mycelium.delete(text, text, integer, text, text) TO mycelium_validator;

-- Replicators deliver entries to the inbox and read back what the sender needs; nothing else.
GRANT INSERT ON mycelium.inbox TO mycelium_replicator;
GRANT EXECUTE ON FUNCTION mycelium.note_peer(text, text) TO mycelium_replicator;
GRANT SELECT ON mycelium.chain_heads, mycelium.shard_digests, mycelium.inbox_rejections
  TO mycelium_replicator;
GRANT SELECT ON mycelium.replicas, mycelium.peer_servers, mycelium.inbox_rejections,
  mycelium.replica_copy_progress,
  mycelium.sync_status, mycelium.shard_health, mycelium.chain_heads, mycelium.shard_digests
  TO mycelium_admin, mycelium_validator, mycelium_miner;

-- Admins manage nodes and shards, through the functions only.
GRANT EXECUTE ON FUNCTION
  mycelium.register_node(text, text, text, text, integer, text, jsonb, text),
  mycelium.deactivate_node(text), mycelium.create_shard(text, integer, text[]),
  mycelium.drop_shard(text, boolean), mycelium.set_local_node(text),
  mycelium.set_peer_credentials(text, text, text, text), mycelium.set_node_database(text, text),
  mycelium.add_replica(text, text), mycelium.remove_replica(text, text),
  mycelium.set_replica_count(text, integer), mycelium.sync_now(text),
  mycelium.verify_replica(text, text), mycelium.attach_remote_shard(text, text),
  mycelium.detach_remote_shard(text)
  TO mycelium_admin;

-- Test hook for the C++/PostgreSQL error boundary; see extension/src/boundary_probe.cpp.
CREATE FUNCTION mycelium._boundary_probe(mode text) RETURNS integer
  AS 'MODULE_PATHNAME', 'mycelium_boundary_probe'
  LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION mycelium._boundary_probe(text) FROM PUBLIC;
