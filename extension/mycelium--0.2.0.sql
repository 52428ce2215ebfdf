-- Mycelium 0.2.0 install script. The extension lives in schema mycelium (mycelium.control).
-- 0.2.0 changed the audit chain (signed links, signed replica control) and replaces 0.1.0
-- without an upgrade path (nothing was deployed). From 0.2.0 on, every later version comes with
-- an upgrade script (mycelium--0.2.0--<next>.sql), so ALTER EXTENSION mycelium UPDATE works.
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
  -- The local agent's consensus calls (elected shards: report_consensus, apply_shard_epoch): a
  -- role for the local agent's login alone, not mycelium_replicator, which remote nodes' push
  -- logins hold.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_consensus') THEN
    CREATE ROLE mycelium_consensus NOLOGIN;
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
  -- Head of the shard's audit chain: seq and entry_hash of its last audit_log entry.
  head_seq    bigint NOT NULL DEFAULT 0,
  head_hash   bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
  -- The chain's seq when this shard was created here. A primary shard id used before continues
  -- its old chain; its records are what the entries after base_seq made them (verify_audit).
  base_seq    bigint NOT NULL DEFAULT 0,
  -- Elected shards (schemas/CONSENSUS.md, "Elected shards"): the primary is whoever leads the
  -- shard's Raft group, and `term` is the term of the latest epoch applied here (0: a
  -- fixed-primary shard, or no epoch yet). kind and primary_node follow that epoch.
  elected     boolean NOT NULL DEFAULT false,
  term        bigint NOT NULL DEFAULT 0 CHECK (term >= 0)
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

-- elected: the shard's primary is whoever leads its Raft group (schemas/CONSENSUS.md); it is
-- created as this node's primary in term 0 and cannot be written until an epoch is applied.
CREATE FUNCTION mycelium.create_shard(shard_id text DEFAULT NULL, replicas integer DEFAULT 1,
                                      validators text[] DEFAULT NULL,
                                      elected boolean DEFAULT false) RETURNS text
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
CREATE TABLE mycelium.audit_log (
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
  -- origin_node's Ed25519 signature (lowercase hex) of the link: shard, seq, entry_hash
  -- (SIGNING.md, "Chain links"). Replicas accept an entry only with it.
  link_signature text NOT NULL,
  -- The Raft term the entry was written in (elected shards; 0 for a fixed primary). Covered by
  -- the v2 link signature (SIGNING.md, "Chain links").
  term         bigint NOT NULL DEFAULT 0 CHECK (term >= 0),
  -- Replication status; the only columns that may change, and only through the extension.
  -- pending: not yet on every active replica; synced: on all of them; applied: an entry this
  -- node received as a replica.
  push_state  text NOT NULL DEFAULT 'pending' CHECK (push_state IN ('pending', 'synced', 'applied')),
  attempts     integer NOT NULL DEFAULT 0,
  last_attempt timestamptz,
  last_error   text,
  UNIQUE (shard_id, seq)
);

-- Unix microseconds, the form every signed time takes (SIGNING.md: an audit entry's created_at,
-- a replica control's issued_at), of a timestamptz and back: the conversion in SQL, for the
-- agent and verify_audit (core's unix_time.hpp is the C++ one; sql/unix_time.sql and
-- tests/unit/unix_time_test.cpp hold the two to the same numbers). Exact over timestamptz's
-- whole range, in any time zone. The way there measures from 2000-01-01, PostgreSQL's own epoch,
-- in numeric, then adds 946684800 s (2000-01-01 in Unix time): extract(epoch FROM t) rounds
-- after 294247, and t minus 1970-01-01 overflows there without an error. The way back adds
-- whole days, then the rest, to a UTC timestamp: `us * interval '1 microsecond'` goes through a
-- float8 and is off past 2255. Infinity, and times after 294247-01-10 (beyond a bigint of
-- microseconds), are errors.
CREATE FUNCTION mycelium._timestamptz_to_us(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT ((extract(epoch FROM t - '2000-01-01 00:00:00+00'::pg_catalog.timestamptz)
                 + 946684800.0) * 1000000.0)::pg_catalog.int8 $$;
CREATE FUNCTION mycelium._us_to_timestamptz(us bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT ('1970-01-01'::pg_catalog.timestamp
                + (us / 86400000000)::pg_catalog.float8 * '1 day'::pg_catalog.interval
                + (us % 86400000000)::pg_catalog.float8 * '1 microsecond'::pg_catalog.interval)
               AT TIME ZONE 'UTC' $$;

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
-- The node id rule (core/include/mycelium/node_id.hpp) for the SQL-language functions; 22023
-- naming the field, never a constraint violation.
CREATE FUNCTION mycelium._check_node_id(node_id text, field text DEFAULT 'node_id') RETURNS void
  LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  IF $1 IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', $2 USING ERRCODE = '22023';
  END IF;
  IF $1 !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' THEN
    RAISE EXCEPTION '% "%" is not a node id (1 to 63 letters, digits, ''.'', ''_'' or ''-'', '
                    'starting with a letter or digit)', $2, $1 USING ERRCODE = '22023';
  END IF;
END $$;

CREATE FUNCTION mycelium.set_local_node(node_id text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  PERFORM mycelium._check_node_id($1);
  INSERT INTO mycelium.local_node AS l (node_id) VALUES ($1)
    ON CONFLICT (singleton) DO UPDATE SET node_id = EXCLUDED.node_id;
END $$;

------------------------------------------------------------------------------------------------
-- Verifying triggers (C++). ENABLE ALWAYS: session_replication_role = replica does not skip
-- them. They run as the extension owner (SECURITY DEFINER) so that they can read keys and
-- append to the audit log, which no other role may write.
------------------------------------------------------------------------------------------------
-- Each table has a BEFORE ROW guard (checks that need no lookup) and an AFTER ROW verifier,
-- which sees only rows that were really written (INSERT ... ON CONFLICT fires BEFORE triggers
-- for rows it then skips or turns into updates): extension/src/record_triggers.cpp.
CREATE FUNCTION mycelium.guard_data_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_guard_data_change'
  LANGUAGE C;
CREATE TRIGGER guard_data_change BEFORE INSERT OR UPDATE OR DELETE ON mycelium.data
  FOR EACH ROW EXECUTE FUNCTION mycelium.guard_data_change();
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER guard_data_change;
CREATE FUNCTION mycelium.verify_data_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_verify_data_change'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER verify_data_change AFTER INSERT OR UPDATE ON mycelium.data
  FOR EACH ROW EXECUTE FUNCTION mycelium.verify_data_change();
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER verify_data_change;

CREATE FUNCTION mycelium.guard_tombstone_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_guard_tombstone_change'
  LANGUAGE C;
CREATE TRIGGER guard_tombstone_change BEFORE UPDATE OR DELETE ON mycelium.tombstones
  FOR EACH ROW EXECUTE FUNCTION mycelium.guard_tombstone_change();
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER guard_tombstone_change;
CREATE FUNCTION mycelium.verify_tombstone() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_verify_tombstone'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER verify_tombstone AFTER INSERT OR UPDATE ON mycelium.tombstones
  FOR EACH ROW EXECUTE FUNCTION mycelium.verify_tombstone();
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER verify_tombstone;

-- Statement triggers of both tables: a statement's signed rows are verified, and logged, in one
-- batch at its end, the signatures on every CPU (extension/src/statement_writes.cpp). Rows of a
-- statement naming a partition, which fires only the partition's statement triggers, are
-- verified and logged one by one.
CREATE FUNCTION mycelium.signed_writes_start() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_signed_writes_start'
  LANGUAGE C;
CREATE FUNCTION mycelium.signed_writes_end() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_signed_writes_end'
  LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER signed_writes_start BEFORE INSERT OR UPDATE ON mycelium.data
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.signed_writes_start();
CREATE TRIGGER signed_writes_end AFTER INSERT OR UPDATE ON mycelium.data
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.signed_writes_end();
CREATE TRIGGER signed_writes_start BEFORE INSERT OR UPDATE ON mycelium.tombstones
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.signed_writes_start();
CREATE TRIGGER signed_writes_end AFTER INSERT OR UPDATE ON mycelium.tombstones
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.signed_writes_end();
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER signed_writes_start;
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER signed_writes_end;
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER signed_writes_start;
ALTER TABLE mycelium.tombstones ENABLE ALWAYS TRIGGER signed_writes_end;

CREATE FUNCTION mycelium.guard_audit_log() RETURNS trigger
  AS 'MODULE_PATHNAME', 'mycelium_guard_audit_log'
  LANGUAGE C;
CREATE TRIGGER guard_audit_log BEFORE INSERT OR UPDATE OR DELETE ON mycelium.audit_log
  FOR EACH ROW EXECUTE FUNCTION mycelium.guard_audit_log();
CREATE TRIGGER guard_audit_log_truncate BEFORE TRUNCATE ON mycelium.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION mycelium.guard_audit_log();
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log;
ALTER TABLE mycelium.audit_log ENABLE ALWAYS TRIGGER guard_audit_log_truncate;
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

-- Credentials this node uses to reach other nodes: 'push' (a login in mycelium_replicator
-- there) and 'read' (a login in mycelium_miner there, for attached remote shards). Superusers
-- only: no grant on this table to anyone.
CREATE TABLE mycelium.peer_credentials (
  node_id  text NOT NULL REFERENCES mycelium.node_metadata ON DELETE CASCADE,
  purpose  text NOT NULL CHECK (purpose IN ('push', 'read')),
  username text NOT NULL,
  password text,
  PRIMARY KEY (node_id, purpose)
);
CREATE FUNCTION mycelium.set_peer_credentials(node_id text, purpose text, username text,
                                              password text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  PERFORM mycelium._check_node_id($1);
  IF $2 IS NULL OR $2 NOT IN ('push', 'read') THEN
    RAISE EXCEPTION 'purpose must be ''push'' or ''read'', got %', COALESCE(quote_literal($2), 'NULL')
      USING ERRCODE = '22023';
  END IF;
  IF $3 IS NULL OR $3 = '' THEN
    RAISE EXCEPTION 'username must not be NULL or empty' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT FROM mycelium.node_metadata m WHERE m.node_id = $1) THEN
    RAISE EXCEPTION 'node "%" is not registered', $1 USING ERRCODE = '42704';
  END IF;
  INSERT INTO mycelium.peer_credentials AS c VALUES ($1, $2, $3, $4)
    ON CONFLICT ON CONSTRAINT peer_credentials_pkey DO UPDATE
      SET username = EXCLUDED.username, password = EXCLUDED.password;
END $$;

CREATE FUNCTION mycelium.set_node_database(node_id text, dbname text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  PERFORM mycelium._check_node_id($1);
  IF $2 IS NULL OR $2 = '' THEN
    RAISE EXCEPTION 'dbname must not be NULL or empty' USING ERRCODE = '22023';
  END IF;
  UPDATE mycelium.node_metadata m SET dbname = $2 WHERE m.node_id = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'node "%" is not registered', $1 USING ERRCODE = '42704';
  END IF;
END $$;

-- The postgres_fdw servers and foreign-table schema made for each peer node.
CREATE TABLE mycelium.peer_servers (
  node_id     text PRIMARY KEY REFERENCES mycelium.node_metadata ON DELETE CASCADE,
  peer_no     integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  push_server name NOT NULL,
  read_server name NOT NULL,
  schema_name name NOT NULL
);

-- The replicas of this node's shards and how far each has been pushed.
CREATE TABLE mycelium.replicas (
  shard_id     text NOT NULL REFERENCES mycelium.shards ON DELETE CASCADE,
  node_id      text NOT NULL REFERENCES mycelium.node_metadata,
  -- diverged: the replica's chain is not a prefix of this node's (replication.cpp); pushing
  -- stops until an operator rebuilds the copy (remove_replica, add_replica).
  status       text NOT NULL DEFAULT 'copying' CHECK (status IN ('copying', 'active', 'diverged')),
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
-- stores nothing here; refused entries are recorded in inbox_rejections. A put or delete is an
-- audit entry of the primary, verbatim, with the primary's link signature (and, on an elected
-- shard, the term it was written in). A control row (op open, open-elected for an elected
-- shard's replica, or close) has seq 0, key = the node it is meant for, value = the shard's
-- responsible validators (open; NULL for any), created_at = when the primary issued it, origin_node = the
-- primary, signature = the primary's signature of the control message, and empty created_by
-- and link_signature (SIGNING.md, "Replica control"; REPLICATION.md).
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
  entry_hash   bytea NOT NULL,
  link_signature text NOT NULL,
  term         bigint NOT NULL DEFAULT 0
);
-- On a replica: the newest control message accepted per shard. A control message must be newer
-- than this one (and fresh), so an old open or close cannot be replayed.
CREATE TABLE mycelium.replica_controls (
  shard_id     text PRIMARY KEY,
  primary_node text NOT NULL,
  op           text NOT NULL CHECK (op IN ('open', 'open-elected', 'close')),
  issued_at_us bigint NOT NULL,            -- Unix microseconds, as signed
  signature    text NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
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
-- The value's stored text is in the digest: signatures cover its canonical JSON, which does
-- not tell 1.5 from 1.500, so a sender could otherwise store another spelling unnoticed.
CREATE VIEW mycelium.shard_digests AS
  SELECT shard_id, count(*) AS records,
         sha256(convert_to(COALESCE(string_agg(key || ':' || version || ':' || signature || ':'
                                               || value::text, ',' ORDER BY key), ''), 'UTF8'))
           AS digest
    FROM mycelium.data GROUP BY shard_id;

CREATE FUNCTION mycelium.add_replica(shard_id text, node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_add_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.remove_replica(shard_id text, node_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_remove_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.push_now(shard_id text DEFAULT NULL) RETURNS bigint
  AS 'MODULE_PATHNAME', 'mycelium_push_now'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- The background worker's round: like push_now, but replicas in backoff wait.
CREATE FUNCTION mycelium._push_round() RETURNS bigint
  AS 'MODULE_PATHNAME', 'mycelium_push_round'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.verify_replica(shard_id text, node_id text,
    OUT local_records bigint, OUT remote_records bigint, OUT local_digest text,
    OUT remote_digest text, OUT local_head bigint, OUT remote_head bigint,
    OUT local_head_hash text, OUT remote_head_hash text, OUT match boolean)
  AS 'MODULE_PATHNAME', 'mycelium_verify_replica'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Picks target nodes itself: active nodes with push credentials, fewest replicas first.
CREATE FUNCTION mycelium.set_replica_count(shard_id text, n integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  have integer;
  target text;
BEGIN
  IF $1 IS NULL THEN
    RAISE EXCEPTION 'shard_id must not be NULL' USING ERRCODE = '22023';
  END IF;
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
      JOIN mycelium.peer_credentials c ON c.node_id = m.node_id AND c.purpose = 'push'
     WHERE m.is_active
       AND m.node_id <> (SELECT l.node_id FROM mycelium.local_node l)
       AND NOT EXISTS (SELECT 1 FROM mycelium.replicas r WHERE r.shard_id = $1 AND r.node_id = m.node_id)
     ORDER BY (SELECT count(*) FROM mycelium.replicas r WHERE r.node_id = m.node_id), m.node_id
     LIMIT 1;
    EXIT WHEN target IS NULL;
    PERFORM mycelium.add_replica($1, target);
    have := have + 1;
  END LOOP;
  IF have < n THEN
    RAISE WARNING 'shard "%" has % of the % replicas wanted: no other active node with push credentials can hold another', $1, have, n
      USING HINT = 'Register more nodes and give this node their push logins (mycelium.set_peer_credentials); shard_health shows the shard as under-replicated until then.';
  END IF;
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

-- The push worker of this server (shared_preload_libraries): the database it serves, whether
-- the extension is there, its last round. No row: the library is not preloaded, so no worker
-- runs (push_now() still works). pid NULL: the worker stopped.
CREATE FUNCTION mycelium._push_worker(OUT pid integer, OUT database text,
    OUT extension_present boolean, OUT started_at timestamptz, OUT last_round_at timestamptz,
    OUT rounds bigint, OUT entries_pushed bigint)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'mycelium_push_worker_state'
  LANGUAGE C VOLATILE;
CREATE VIEW mycelium.push_worker AS
  SELECT pid, database, database = pg_catalog.current_database() AS serves_this_database,
         extension_present, started_at, last_round_at, rounds, entries_pushed
    FROM mycelium._push_worker();

CREATE VIEW mycelium.push_status AS
  SELECT r.shard_id, r.node_id, r.status, r.pushed_seq AS last_pushed_seq,
         s.head_seq - r.pushed_seq AS lag_changes,
         COALESCE(extract(epoch FROM pg_catalog.now() - (
           SELECT c.created_at FROM mycelium.audit_log c
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
              WHEN count(r.node_id) FILTER (WHERE r.status = 'diverged') > 0 THEN 'diverged'
              WHEN count(r.node_id) FILTER (WHERE r.last_error IS NOT NULL) > 0 THEN 'failing'
              WHEN count(r.node_id) FILTER (WHERE r.status = 'active') < s.replicas THEN 'under-replicated'
              WHEN COALESCE(max(s.head_seq - r.pushed_seq), 0) > 0 THEN 'lagging'
              ELSE 'healthy' END AS health
    FROM mycelium.shards s LEFT JOIN mycelium.replicas r USING (shard_id)
   GROUP BY s.shard_id;

------------------------------------------------------------------------------------------------
-- Peers and blacklist. The agent relays what it learns from other nodes: their status (Status
-- messages) and blacklist entries (BlacklistSync, schemas/PROTOCOL.md). Status is taken as
-- reported; blacklist entries are verified here, by their creator's signature, whoever
-- delivers them.
------------------------------------------------------------------------------------------------
-- The protocol's times are Unix milliseconds. Beyond what timestamptz holds (before 4714 BC,
-- after the year 294276) the result is -infinity / infinity rather than an error that would
-- fail a whole listing because of one far-off expiry.
CREATE FUNCTION mycelium._ms_to_timestamptz(ms bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN ms < -210866803200000 THEN '-infinity'::pg_catalog.timestamptz
                    WHEN ms >= 9224318016000000 THEN 'infinity'::pg_catalog.timestamptz
                    ELSE pg_catalog.to_timestamp(ms / 1000.0) END $$;
-- Wall-clock time in Unix ms, as blacklist_add reads it: validity is judged against signed
-- times, and a caller's transaction may have started a while ago.
CREATE FUNCTION mycelium._now_ms() RETURNS bigint
  LANGUAGE sql VOLATILE PARALLEL SAFE
  AS $$ SELECT pg_catalog.floor(extract(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint $$;

-- Blacklist entries this node holds: one per (banned node, creator), the creator's latest
-- decision. Written only through blacklist_add, which verifies each entry; the agent reads the
-- table to relay the entries and to refuse banned peers.
CREATE TABLE mycelium.blacklist (
  -- No foreign key: a ban may outlive the banned node's registration, and an entry against a
  -- node this database has not heard of yet is still valid.
  node_id       text NOT NULL CHECK (node_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  created_by    text NOT NULL,           -- the validator that decided it and signed it
  reason        text NOT NULL CHECK (reason <> '' AND octet_length(reason) <= 1000),
  created_at_ms bigint NOT NULL,         -- Unix ms, as signed
  expires_at_ms bigint NOT NULL          -- Unix ms, as signed; 0 = never
    CHECK (expires_at_ms = 0 OR expires_at_ms > created_at_ms),
  signature     text NOT NULL CHECK (signature ~ '^[0-9a-f]{128}$'),
  received_from text,                    -- the peer that delivered it; NULL: added through SQL
  added_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (node_id, created_by),
  CHECK (node_id <> created_by)
);

-- Lifted bans. An entry against the node created at or before lifted_at_ms is refused, so that
-- peers still relaying the old entries cannot bring the ban back; a creator that bans the node
-- again signs a new entry.
CREATE TABLE mycelium.blacklist_lifts (
  node_id      text PRIMARY KEY CHECK (node_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  lifted_at_ms bigint NOT NULL,
  lifted_by    name NOT NULL DEFAULT CURRENT_USER
);

-- Verifies and stores one entry (extension/src/blacklist.cpp). Refusals raise (22023 shape,
-- expired, dated ahead; MC002-MC004 creator; MC001 signature); otherwise returns 'accepted',
-- 'duplicate', 'superseded' or 'lifted'.
CREATE FUNCTION mycelium.blacklist_add(node_id text, reason text, created_by text,
                                       created_at_ms bigint, expires_at_ms bigint,
                                       signature text, received_from text DEFAULT NULL)
  RETURNS text
  AS 'MODULE_PATHNAME', 'mycelium_blacklist_add'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The bytes created_by signs for an entry (PROTOCOL.md, "BlacklistSync"), for clients.
CREATE FUNCTION mycelium.blacklist_payload(node_id text, reason text, created_by text,
                                           created_at_ms bigint, expires_at_ms bigint)
  RETURNS bytea
  AS 'MODULE_PATHNAME', 'mycelium_blacklist_payload'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Removes every entry against a node and remembers the lift. lifted_at_ms is now, or the
-- newest removed entry's created_at_ms if that is later (an entry may be dated up to 60 s
-- ahead): otherwise that very entry, relayed again, would be newer than the lift. lifted_by is
-- the caller's role: inside a SECURITY DEFINER function CURRENT_USER is the owner, but the role
-- setting still names a role taken with SET ROLE, and without one the caller is SESSION_USER.
CREATE FUNCTION mycelium.blacklist_lift(node_id text) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
#variable_conflict use_column
DECLARE
  removed integer;
  newest bigint;
BEGIN
  IF $1 IS NULL THEN
    RAISE EXCEPTION 'node_id must not be NULL' USING ERRCODE = '22023';
  END IF;
  IF $1 !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' THEN
    RAISE EXCEPTION 'node_id "%" is not a node id (1 to 63 letters, digits, ''.'', ''_'' or '
                    '''-'', starting with a letter or digit)', $1 USING ERRCODE = '22023';
  END IF;
  -- Excludes blacklist_add for this node until commit (it takes the same lock shared).
  PERFORM pg_advisory_xact_lock(hashtext('mycelium.blacklist'), hashtext($1));
  WITH gone AS (DELETE FROM mycelium.blacklist b WHERE b.node_id = $1 RETURNING b.created_at_ms)
  SELECT count(*), max(g.created_at_ms) INTO removed, newest FROM gone g;
  INSERT INTO mycelium.blacklist_lifts AS l (node_id, lifted_at_ms, lifted_by)
    VALUES ($1, GREATEST(mycelium._now_ms(), newest),
            CASE current_setting('role') WHEN 'none' THEN SESSION_USER
                 ELSE current_setting('role')::name END)
    ON CONFLICT ON CONSTRAINT blacklist_lifts_pkey DO UPDATE
      SET lifted_at_ms = GREATEST(l.lifted_at_ms, EXCLUDED.lifted_at_ms),
          lifted_by = EXCLUDED.lifted_by;
  RETURN removed;
END $$;

-- Removes the entries that have expired (expires_at_ms <= now); returns how many.
CREATE FUNCTION mycelium.blacklist_expire() RETURNS integer
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ WITH gone AS (DELETE FROM mycelium.blacklist b
                       WHERE b.expires_at_ms <> 0 AND b.expires_at_ms <= (SELECT mycelium._now_ms())
                       RETURNING 1)
        SELECT count(*)::integer FROM gone $$;

-- The entries with readable times (expires_at NULL: never), live ones only unless asked.
CREATE FUNCTION mycelium.list_blacklist(include_expired boolean DEFAULT false)
  RETURNS TABLE (node_id text, created_by text, reason text, created_at timestamptz,
                 expires_at timestamptz, expired boolean, received_from text,
                 added_at timestamptz, signature text)
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT b.node_id, b.created_by, b.reason, mycelium._ms_to_timestamptz(b.created_at_ms),
               CASE WHEN b.expires_at_ms <> 0 THEN mycelium._ms_to_timestamptz(b.expires_at_ms) END,
               b.expires_at_ms <> 0 AND b.expires_at_ms <= n.now_ms,
               b.received_from, b.added_at, b.signature
          FROM mycelium.blacklist b, (SELECT mycelium._now_ms() AS now_ms) n
         WHERE COALESCE($1, false) OR b.expires_at_ms = 0 OR b.expires_at_ms > n.now_ms
         ORDER BY b.node_id, b.created_by $$;

-- The status each node last reported in its agent's Status message, as relayed by this node's
-- agent. Reported, not verified: the Status message is signed by its sender for the hop, but a
-- node can say anything about itself, so nothing here grants or refuses anything.
CREATE TABLE mycelium.peer_status (
  node_id             text PRIMARY KEY REFERENCES mycelium.node_metadata ON DELETE CASCADE,
  version             text,
  status              text,
  active              boolean,
  start_time          timestamptz,
  last_sync           timestamptz,            -- NULL: never
  last_heartbeat      timestamptz,            -- NULL: never
  peer_count          integer,
  serving_rate        numeric,                -- requests per second
  sync_progress       numeric CHECK (sync_progress BETWEEN 0 AND 1),
  response_latency_ms numeric,
  memory_bytes        bigint,
  cpu_percent         numeric,                -- of one core; may exceed 100
  reported_by         text NOT NULL,          -- the node whose agent relayed it (local_node)
  reported_at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- One integer field of a Status message: NULL when absent or null, else an integer 0..max_value.
CREATE FUNCTION mycelium._status_uint(status jsonb, field text, max_value numeric)
  RETURNS numeric
  LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  v jsonb := status -> field;
  n numeric;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'number' THEN
    RAISE EXCEPTION 'status field % must be an integer, got %', field, jsonb_typeof(v)
      USING ERRCODE = '22023';
  END IF;
  n := v::numeric;
  IF n <> trunc(n) OR n < 0 OR n > max_value THEN
    RAISE EXCEPTION 'status field % must be an integer from 0 to %, got %', field, max_value, n
      USING ERRCODE = '22023';
  END IF;
  RETURN n;
END $$;

-- Records a node's Status message (field names and units as in PROTOCOL.md, "Status"): times in Unix
-- ms (0: never or unknown), rates and CPU x 1000, progress in ppm, latency in us. Fields that
-- are absent or null are stored as NULL and unknown fields are ignored, so that an agent
-- speaking a later protocol version can still report. Also sets the node's last_seen.
CREATE FUNCTION mycelium.note_peer_status(node_id text, status jsonb) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
#variable_conflict use_column
DECLARE
  -- Unix ms of 9999-12-31 23:59:59.999 UTC: a time reported later than that is garbage.
  max_ms constant numeric := 253402300799999;
  max_int constant numeric := 2147483647;
  max_bigint constant numeric := 9223372036854775807;
  field text;
  start_ms numeric;
  sync_ms numeric;
  heartbeat_ms numeric;
  peers numeric;
  rate numeric;
  ppm numeric;
  latency numeric;
  memory numeric;
  cpu numeric;
BEGIN
  IF $1 IS NULL THEN
    RAISE EXCEPTION 'node_id must not be NULL' USING ERRCODE = '22023';
  END IF;
  IF $2 IS NULL OR jsonb_typeof($2) <> 'object' THEN
    RAISE EXCEPTION 'status must be a JSON object, got %', COALESCE(jsonb_typeof($2), 'NULL')
      USING ERRCODE = '22023';
  END IF;
  FOREACH field IN ARRAY ARRAY['version', 'status'] LOOP
    IF jsonb_typeof($2 -> field) NOT IN ('string', 'null') THEN
      RAISE EXCEPTION 'status field % must be a string, got %', field, jsonb_typeof($2 -> field)
        USING ERRCODE = '22023';
    END IF;
  END LOOP;
  IF jsonb_typeof($2 -> 'active') NOT IN ('boolean', 'null') THEN
    RAISE EXCEPTION 'status field active must be a boolean, got %', jsonb_typeof($2 -> 'active')
      USING ERRCODE = '22023';
  END IF;
  start_ms := mycelium._status_uint($2, 'start_time_ms', max_ms);
  sync_ms := mycelium._status_uint($2, 'last_sync_ms', max_ms);
  heartbeat_ms := mycelium._status_uint($2, 'last_heartbeat_ms', max_ms);
  peers := mycelium._status_uint($2, 'peer_count', max_int);
  rate := mycelium._status_uint($2, 'serving_rate_milli', max_bigint);
  ppm := mycelium._status_uint($2, 'sync_progress_ppm', 1000000);
  latency := mycelium._status_uint($2, 'response_latency_us', max_bigint);
  memory := mycelium._status_uint($2, 'memory_bytes', max_bigint);
  cpu := mycelium._status_uint($2, 'cpu_percent_milli', max_bigint);

  UPDATE mycelium.node_metadata m SET last_seen = now() WHERE m.node_id = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'node "%" is not registered', $1 USING ERRCODE = '42704';
  END IF;
  INSERT INTO mycelium.peer_status AS p (node_id, version, status, active, start_time,
      last_sync, last_heartbeat, peer_count, serving_rate, sync_progress, response_latency_ms,
      memory_bytes, cpu_percent, reported_by, reported_at)
    VALUES ($1, $2 ->> 'version', $2 ->> 'status', ($2 ->> 'active')::boolean,
            mycelium._ms_to_timestamptz(NULLIF(start_ms, 0)::bigint),
            mycelium._ms_to_timestamptz(NULLIF(sync_ms, 0)::bigint),
            mycelium._ms_to_timestamptz(NULLIF(heartbeat_ms, 0)::bigint),
            peers::integer, round(rate / 1000, 3), round(ppm / 1000000, 6),
            round(latency / 1000, 3), memory::bigint, round(cpu / 1000, 3),
            (SELECT l.node_id FROM mycelium.local_node l), now())
    ON CONFLICT ON CONSTRAINT peer_status_pkey DO UPDATE
      SET version = EXCLUDED.version, status = EXCLUDED.status, active = EXCLUDED.active,
          start_time = EXCLUDED.start_time, last_sync = EXCLUDED.last_sync,
          last_heartbeat = EXCLUDED.last_heartbeat, peer_count = EXCLUDED.peer_count,
          serving_rate = EXCLUDED.serving_rate, sync_progress = EXCLUDED.sync_progress,
          response_latency_ms = EXCLUDED.response_latency_ms,
          memory_bytes = EXCLUDED.memory_bytes, cpu_percent = EXCLUDED.cpu_percent,
          reported_by = EXCLUDED.reported_by, reported_at = EXCLUDED.reported_at;
END $$;

-- Every other node: its registration, what it last reported, and how many live blacklist
-- entries this node holds against it. Times use now() (inline, not _now_ms(): a view's
-- function calls are checked against the reader's privileges).
CREATE VIEW mycelium.peers AS
  SELECT m.node_id, m.node_type, m.is_active, m.stake, m.protocol_version, m.last_seen,
         s.version, s.status, s.peer_count, s.sync_progress, s.response_latency_ms,
         pg_catalog.now() - s.last_sync AS lag, s.reported_at,
         (SELECT count(*) FROM mycelium.blacklist b
           WHERE b.node_id = m.node_id
             AND (b.expires_at_ms = 0 OR b.expires_at_ms >
                  pg_catalog.floor(extract(epoch FROM pg_catalog.now()) * 1000)))
           AS blacklist_entries
    FROM mycelium.node_metadata m
    LEFT JOIN mycelium.peer_status s ON s.node_id = m.node_id
   WHERE m.node_id <> (SELECT l.node_id FROM mycelium.local_node l);

------------------------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA mycelium FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA mycelium FROM PUBLIC;

GRANT EXECUTE ON FUNCTION mycelium.version(), mycelium.signing_payload(text, text, text, jsonb, integer, text),
  mycelium.registration_payload(text, text, text, text, integer, text, jsonb),
  mycelium.verify_signature(text, bytea, text),
  mycelium.canonical_json(jsonb), mycelium.get(text, text), mycelium.current_version(text, text),
  mycelium.verify_audit(text), mycelium._replica_copy_progress(), mycelium._push_worker()
  TO mycelium_admin, mycelium_validator, mycelium_miner;
GRANT SELECT ON mycelium.node_metadata, mycelium.shards, mycelium.data, mycelium.tombstones,
  mycelium.audit_log, mycelium.local_node
  TO mycelium_admin, mycelium_validator, mycelium_miner;

-- Validators write records, and only records; every write is verified by the triggers.
GRANT INSERT, UPDATE, DELETE ON mycelium.data TO mycelium_validator;
GRANT INSERT, UPDATE ON mycelium.tombstones TO mycelium_validator;
GRANT EXECUTE ON FUNCTION mycelium.put(text, text, jsonb, integer, text, text),
  mycelium.delete(text, text, integer, text, text) TO mycelium_validator;

-- Replicators deliver entries to the inbox and read back what the sender needs; nothing else.
GRANT INSERT ON mycelium.inbox TO mycelium_replicator;
GRANT EXECUTE ON FUNCTION mycelium._timestamptz_to_us(timestamptz),
  mycelium._us_to_timestamptz(bigint) TO mycelium_replicator;
GRANT EXECUTE ON FUNCTION mycelium.note_peer(text, text) TO mycelium_replicator;
GRANT SELECT ON mycelium.chain_heads, mycelium.shard_digests, mycelium.inbox_rejections
  TO mycelium_replicator;
GRANT SELECT ON mycelium.replicas, mycelium.peer_servers, mycelium.inbox_rejections,
  mycelium.replica_controls, mycelium.push_worker,
  mycelium.replica_copy_progress,
  mycelium.push_status, mycelium.shard_health, mycelium.chain_heads, mycelium.shard_digests
  TO mycelium_admin, mycelium_validator, mycelium_miner;

-- Blacklist and peers. The agent (a member of mycelium_replicator) delivers entries and
-- status and expires entries; only an admin lifts a ban. Everyone may read them.
GRANT EXECUTE ON FUNCTION
  mycelium.blacklist_add(text, text, text, bigint, bigint, text, text),
  mycelium.blacklist_expire()
  TO mycelium_replicator, mycelium_admin;
GRANT EXECUTE ON FUNCTION mycelium.blacklist_lift(text) TO mycelium_admin;
GRANT EXECUTE ON FUNCTION mycelium.note_peer_status(text, jsonb) TO mycelium_replicator;
GRANT EXECUTE ON FUNCTION mycelium.list_blacklist(boolean),
  mycelium.blacklist_payload(text, text, text, bigint, bigint)
  TO mycelium_admin, mycelium_validator, mycelium_miner, mycelium_replicator;
GRANT SELECT ON mycelium.blacklist, mycelium.blacklist_lifts, mycelium.peer_status,
  mycelium.peers
  TO mycelium_admin, mycelium_validator, mycelium_miner, mycelium_replicator;

-- Admins manage nodes and shards, through the functions only.
GRANT EXECUTE ON FUNCTION
  mycelium.register_node(text, text, text, text, integer, text, jsonb, text),
  mycelium.deactivate_node(text), mycelium.create_shard(text, integer, text[], boolean),
  mycelium.drop_shard(text, boolean), mycelium.set_local_node(text),
  mycelium.set_peer_credentials(text, text, text, text), mycelium.set_node_database(text, text),
  mycelium.add_replica(text, text), mycelium.remove_replica(text, text),
  mycelium.set_replica_count(text, integer), mycelium.push_now(text),
  mycelium.verify_replica(text, text), mycelium.attach_remote_shard(text, text),
  mycelium.detach_remote_shard(text)
  TO mycelium_admin;

-- Test hook for the C++/PostgreSQL error boundary; see extension/src/boundary_probe.cpp.
CREATE FUNCTION mycelium._boundary_probe(mode text) RETURNS integer
  AS 'MODULE_PATHNAME', 'mycelium_boundary_probe'
  LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION mycelium._boundary_probe(text) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- The chain (schemas/CHAIN.md, "Hotkey binding" and "Stake from the chain").
--
-- A node's Ed25519 node key bound to a Bittensor hotkey: the hotkey's sr25519 signature over the
-- node id, the node key and the hotkey (mycelium.hotkey_binding_payload), verified by
-- mycelium.bind_hotkey. A binding holds only while the node keeps the key it was made for: the
-- stake view ignores one whose node_public_key is no longer the registered key.
CREATE TABLE mycelium.node_hotkeys (
  node_id         text PRIMARY KEY REFERENCES mycelium.node_metadata (node_id) ON DELETE CASCADE,
  hotkey          text NOT NULL UNIQUE,                                 -- SS58, prefix 42
  hotkey_public_key text NOT NULL UNIQUE CHECK (hotkey_public_key ~ '^[0-9a-f]{64}$'),
  node_public_key text NOT NULL CHECK (node_public_key ~ '^[0-9a-f]{64}$'),
  signature       text NOT NULL CHECK (signature ~ '^[0-9a-f]{128}$'),  -- sr25519, by the hotkey
  bound_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- The subnet's neurons as the local agent last read them from the chain (its chain: section),
-- all from one block. Written only by mycelium.store_metagraph, which only the role
-- mycelium_chain may run: a role for the local agent's login alone (not mycelium_replicator,
-- which remote nodes' push logins hold), since these rows decide stake.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mycelium_chain') THEN
    CREATE ROLE mycelium_chain NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mycelium TO mycelium_chain;

CREATE TABLE mycelium.chain_neurons (
  netuid        integer NOT NULL CHECK (netuid BETWEEN 0 AND 65535),
  uid           integer NOT NULL CHECK (uid BETWEEN 0 AND 65535),
  hotkey        text NOT NULL,
  coldkey       text NOT NULL,
  stake_rao     numeric(39, 0) NOT NULL CHECK (stake_rao >= 0),
  active        boolean NOT NULL,
  validator_permit boolean NOT NULL,
  incentive     integer NOT NULL,
  trust         double precision NOT NULL,
  vtrust        double precision NOT NULL,
  last_update   bigint NOT NULL,
  ip            text NOT NULL,
  ip_type       integer NOT NULL,
  port          integer NOT NULL,
  protocol      integer NOT NULL,
  block_number  bigint NOT NULL,
  block_hash    text NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
  read_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (netuid, uid)
);
CREATE INDEX ON mycelium.chain_neurons (hotkey);

-- The first thing wrong with a metagraph's neurons, named by position and field (NULL: none):
-- each element an object holding every column below with a JSON value of its type (integers
-- whole and in their column's range, stake_rao a decimal string), and no uid twice. Checked
-- before anything is stored, so that a bad call says which field is wrong instead of failing
-- half-way in a cast with a message naming no field.
CREATE FUNCTION mycelium._metagraph_problem(neurons jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
  AS $$
  WITH element AS (
    SELECT e.n, e.i - 1 AS at FROM jsonb_array_elements($1) WITH ORDINALITY AS e(n, i)),
  field(name, kind, lo, hi, ord) AS (VALUES
    ('uid', 'integer', 0::numeric, 65535::numeric, 1), ('hotkey', 'string', NULL, NULL, 2),
    ('coldkey', 'string', NULL, NULL, 3), ('stake_rao', 'decimal', NULL, NULL, 4),
    ('active', 'boolean', NULL, NULL, 5), ('validator_permit', 'boolean', NULL, NULL, 6),
    ('incentive', 'integer', -2147483648, 2147483647, 7), ('trust', 'number', NULL, NULL, 8),
    ('vtrust', 'number', NULL, NULL, 9),
    ('last_update', 'integer', -9223372036854775808, 9223372036854775807, 10),
    ('ip', 'string', NULL, NULL, 11), ('ip_type', 'integer', -2147483648, 2147483647, 12),
    ('port', 'integer', -2147483648, 2147483647, 13),
    ('protocol', 'integer', -2147483648, 2147483647, 14)),
  problem AS (
    SELECT e.at, 0 AS ord,
           format('neurons[%s] must be a JSON object, got %s', e.at, jsonb_typeof(e.n)) AS what
      FROM element e WHERE jsonb_typeof(e.n) <> 'object'
    UNION ALL
    SELECT e.at, f.ord,
           format('neurons[%s].%s must be %s, got %s', e.at, f.name,
                  CASE f.kind WHEN 'integer' THEN format('an integer from %s to %s', f.lo, f.hi)
                              WHEN 'decimal' THEN 'a string of decimal digits (at most 39)'
                              WHEN 'number' THEN 'a number' WHEN 'string' THEN 'a string'
                              ELSE 'true or false' END,
                  COALESCE(left((e.n -> f.name)::text, 80), 'nothing'))
      FROM element e CROSS JOIN field f
     WHERE jsonb_typeof(e.n) = 'object'
       AND NOT COALESCE(CASE f.kind
             -- Nested CASEs, not AND: SQL does not promise to test the type before the cast.
             WHEN 'integer' THEN CASE WHEN jsonb_typeof(e.n -> f.name) = 'number'
                                       AND (e.n ->> f.name) ~ '^-?[0-9]{1,20}$'
                                      THEN (e.n ->> f.name)::numeric BETWEEN f.lo AND f.hi END
             WHEN 'decimal' THEN jsonb_typeof(e.n -> f.name) = 'string'
                                 AND (e.n ->> f.name) ~ '^[0-9]{1,39}$'
             ELSE jsonb_typeof(e.n -> f.name) = f.kind END, false)
    UNION ALL
    SELECT d.at, 15, format('neurons[%s].uid %s appears twice (first at neurons[%s])', d.at,
                            d.uid, d.first)
      FROM (SELECT e.at, e.n ->> 'uid' AS uid,
                   first_value(e.at) OVER (PARTITION BY e.n ->> 'uid' ORDER BY e.at) AS first
              FROM element e WHERE jsonb_typeof(e.n) = 'object') d
     WHERE d.at <> d.first)
  SELECT what FROM problem ORDER BY at, ord LIMIT 1 $$;

-- Replaces the subnet's neurons with those read at one block, in one transaction (readers see
-- the old set or the new one, never a mix). `neurons` is a JSON array of objects with the
-- columns above from uid to protocol (stake_rao as a decimal string).
CREATE FUNCTION mycelium.store_metagraph(netuid integer, block_number bigint, block_hash text,
                                         neurons jsonb) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  stored integer;
  problem text;
BEGIN
  IF $1 IS NULL OR $2 IS NULL OR $3 IS NULL OR $4 IS NULL THEN
    RAISE EXCEPTION 'store_metagraph: netuid, block_number, block_hash and neurons must not be NULL'
      USING ERRCODE = '22023';
  END IF;
  IF $1 NOT BETWEEN 0 AND 65535 THEN
    RAISE EXCEPTION 'store_metagraph: netuid must be 0 to 65535, got %', $1 USING ERRCODE = '22023';
  END IF;
  IF $3 !~ '^0x[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'store_metagraph: block_hash must be 0x and 64 lowercase hex characters, got "%"',
      left($3, 80) USING ERRCODE = '22023';
  END IF;
  IF jsonb_typeof($4) <> 'array' THEN
    RAISE EXCEPTION 'store_metagraph: neurons must be a JSON array, got %', jsonb_typeof($4)
      USING ERRCODE = '22023';
  END IF;
  problem := mycelium._metagraph_problem($4);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'store_metagraph: %', problem USING ERRCODE = '22023';
  END IF;
  DELETE FROM mycelium.chain_neurons;
  INSERT INTO mycelium.chain_neurons (netuid, uid, hotkey, coldkey, stake_rao, active,
         validator_permit, incentive, trust, vtrust, last_update, ip, ip_type, port, protocol,
         block_number, block_hash)
  SELECT $1, n.uid, n.hotkey, n.coldkey, n.stake_rao::numeric, n.active, n.validator_permit,
         n.incentive, n.trust, n.vtrust, n.last_update, n.ip, n.ip_type, n.port, n.protocol,
         $2, $3
    FROM jsonb_to_recordset($4) AS n(uid integer, hotkey text, coldkey text, stake_rao text,
         active boolean, validator_permit boolean, incentive integer, trust double precision,
         vtrust double precision, last_update bigint, ip text, ip_type integer, port integer,
         protocol integer);
  GET DIAGNOSTICS stored = ROW_COUNT;
  RETURN stored;
END $$;
REVOKE ALL ON FUNCTION mycelium.store_metagraph(integer, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mycelium.store_metagraph(integer, bigint, text, jsonb) TO mycelium_chain;

CREATE FUNCTION mycelium.hotkey_binding_payload(node_id text, hotkey text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'mycelium_hotkey_binding_payload'
  LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.bind_hotkey(node_id text, hotkey text, signature text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_bind_hotkey'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION mycelium.unbind_hotkey(node_id text) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ WITH gone AS (DELETE FROM mycelium.node_hotkeys WHERE node_id = $1 RETURNING 1)
        SELECT EXISTS (SELECT FROM gone) $$;
REVOKE ALL ON FUNCTION mycelium.bind_hotkey(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mycelium.unbind_hotkey(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mycelium.bind_hotkey(text, text, text) TO mycelium_admin;
GRANT EXECUTE ON FUNCTION mycelium.unbind_hotkey(text) TO mycelium_admin;

-- One stake per node, from one place. A node whose binding holds (made for its current key),
-- once the agent has read the subnet: the chain's stake of its hotkey on that subnet (Σ rao /
-- 1e9, as Fiber reports it; 0 when the hotkey is not a neuron there). Any other node: the
-- registry's stake column (set by an admin; the default without a chain). Admission (min_stake),
-- the shared blacklist's stake share and consensus weights read this view.
CREATE VIEW mycelium.node_stake AS
  SELECT m.node_id,
         CASE WHEN chain.bound THEN COALESCE(c.stake, 0) ELSE m.stake::double precision END
           AS stake,
         CASE WHEN chain.bound THEN 'chain' ELSE 'registry' END AS source,
         h.hotkey,
         CASE WHEN chain.bound THEN (SELECT max(n.block_number) FROM mycelium.chain_neurons n)
           END AS block_number
    FROM mycelium.node_metadata m
    LEFT JOIN mycelium.node_hotkeys h
      ON h.node_id = m.node_id AND h.node_public_key = m.public_key
    CROSS JOIN LATERAL (
      SELECT h.hotkey IS NOT NULL AND EXISTS (SELECT FROM mycelium.chain_neurons) AS bound) chain
    LEFT JOIN LATERAL (
      SELECT sum(n.stake_rao)::double precision / 1e9 AS stake
        FROM mycelium.chain_neurons n WHERE n.hotkey = h.hotkey) c ON chain.bound;

GRANT SELECT ON mycelium.node_hotkeys, mycelium.chain_neurons, mycelium.node_stake
  TO mycelium_admin, mycelium_validator, mycelium_miner, mycelium_replicator, mycelium_chain;

------------------------------------------------------------------------------------------------
-- Elected shards: epochs and moved-aside entries (issue 14, schemas/CONSENSUS.md)
------------------------------------------------------------------------------------------------
-- Every epoch of an elected shard applied here, from its Raft group's committed log: from
-- `term` on, primary_node appends the entries after start_seq, whose entry hash is start_hash.
-- Written only by mycelium.apply_shard_epoch (the local agent, with what its group committed).
CREATE TABLE mycelium.shard_epochs (
  shard_id     text NOT NULL REFERENCES mycelium.shards ON DELETE CASCADE,
  term         bigint NOT NULL CHECK (term > 0),
  primary_node text NOT NULL,
  start_seq    bigint NOT NULL CHECK (start_seq >= 0),
  start_hash   bytea NOT NULL CHECK (length(start_hash) = 32),
  applied_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (shard_id, term)
);

-- Entries this node held that a later epoch superseded (seq after that epoch's start_seq,
-- written in an earlier term): written here but never committed by the shard's group. They are
-- kept, never applied, and the data they changed was restored to its state at start_seq.
CREATE TABLE mycelium.moved_aside_entries (
  shard_id     text NOT NULL,
  seq          bigint NOT NULL,
  term         bigint NOT NULL,
  op           text NOT NULL,
  key          text NOT NULL,
  version      integer NOT NULL,
  value        jsonb,
  created_by   text NOT NULL,
  signature    text NOT NULL,
  created_at   timestamptz NOT NULL,
  origin_node  text NOT NULL,
  prev_hash    bytea NOT NULL,
  entry_hash   bytea NOT NULL,
  link_signature text NOT NULL,
  superseded_by_term bigint NOT NULL,
  moved_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  reason       text NOT NULL,
  PRIMARY KEY (shard_id, superseded_by_term, seq)
);

GRANT SELECT ON mycelium.shard_epochs, mycelium.moved_aside_entries
  TO mycelium_admin, mycelium_validator, mycelium_miner, mycelium_replicator;

------------------------------------------------------------------------------------------------
-- Elected shards: the control plane (issue 14, schemas/CONSENSUS.md, "Elected shards: the write
-- side"). The local agent reports its groups' terms, leaders and leases into shared memory;
-- writes of an elected shard need this node's lease as its primary (MC012 otherwise).
------------------------------------------------------------------------------------------------
-- mycelium_consensus (created with the other roles at the top) is for the local agent's login
-- alone, like mycelium_chain: what it reports decides which node may write a shard. Never give
-- it to the logins other nodes push with.
GRANT USAGE ON SCHEMA mycelium TO mycelium_consensus;

-- The agent's view of each group: term, leader ('' unknown) and this node's lease end in
-- CLOCK_MONOTONIC ms (0: no lease), kept in shared memory (extension/src/consensus_leases.cpp).
-- boot_id is the agent host's /proc/sys/kernel/random/boot_id: it must be the database host's.
CREATE FUNCTION mycelium.report_consensus(shard_ids text[], terms bigint[], leaders text[],
                                          lease_expires_ms bigint[], boot_id text) RETURNS void
  AS 'MODULE_PATHNAME', 'mycelium_report_consensus'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The database host's CLOCK_MONOTONIC in ms: the clock leases are in.
CREATE FUNCTION mycelium.monotonic_now_ms() RETURNS bigint
  AS 'MODULE_PATHNAME', 'mycelium_monotonic_now_ms'
  LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION mycelium._consensus_state(OUT shard_id text, OUT term bigint, OUT leader text,
                                          OUT lease_valid boolean, OUT lease_remaining_ms bigint)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'mycelium_consensus_state'
  LANGUAGE C VOLATILE;
-- What report_consensus stored for this database (leader NULL: unknown; lease_remaining_ms 0
-- when no lease is held). Empty when the library is not preloaded.
CREATE VIEW mycelium.consensus_state AS
  SELECT shard_id, term, leader, lease_valid, lease_remaining_ms FROM mycelium._consensus_state();

-- The elected shards this node holds, for the agent's groups. primary_node is this node where
-- the shard is its primary. voters: on the primary, this node and every active replica on an
-- active validator (the leader's wanted membership: a deactivated node is removed from the
-- group); NULL on a replica.
CREATE VIEW mycelium.elected_shards AS
  SELECT s.shard_id, s.kind,
         CASE WHEN s.kind = 'primary' THEN COALESCE(s.primary_node, l.node_id)
              ELSE s.primary_node END AS primary_node,
         s.term, s.head_seq, s.head_hash,
         CASE WHEN s.kind = 'primary' THEN
           ARRAY[l.node_id] ||
           ARRAY(SELECT r.node_id FROM mycelium.replicas r
                   JOIN mycelium.node_metadata m ON m.node_id = r.node_id
                  WHERE r.shard_id = s.shard_id AND r.status = 'active'
                    AND m.node_type = 'validator' AND m.is_active AND r.node_id <> l.node_id
                  ORDER BY r.node_id)
         END AS voters
    FROM mycelium.shards s CROSS JOIN mycelium.local_node l
   WHERE s.elected;

-- The shard's chain head and the term of its last entry (0: none, or an entry of term 0): what
-- a new leader proposes its epoch from.
CREATE FUNCTION mycelium.shard_head(shard_id text) RETURNS TABLE (seq bigint, hash bytea, term bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
#variable_conflict use_column
BEGIN
  IF $1 IS NULL THEN
    RAISE EXCEPTION 'shard_id must not be NULL' USING ERRCODE = '22004';
  END IF;
  RETURN QUERY
    SELECT s.head_seq, s.head_hash,
           COALESCE((SELECT a.term FROM mycelium.audit_log a
                      WHERE a.shard_id = s.shard_id AND a.seq = s.head_seq), 0::bigint)
      FROM mycelium.shards s WHERE s.shard_id = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'shard "%" does not exist', $1 USING ERRCODE = '42704';
  END IF;
END $$;

REVOKE ALL ON FUNCTION mycelium.report_consensus(text[], bigint[], text[], bigint[], text),
  mycelium.monotonic_now_ms(), mycelium._consensus_state(), mycelium.shard_head(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mycelium.report_consensus(text[], bigint[], text[], bigint[], text),
  mycelium.shard_head(text) TO mycelium_consensus;
GRANT SELECT ON mycelium.elected_shards TO mycelium_consensus, mycelium_admin;
GRANT EXECUTE ON FUNCTION mycelium.monotonic_now_ms(), mycelium._consensus_state()
  TO mycelium_consensus, mycelium_admin;
GRANT SELECT ON mycelium.consensus_state TO mycelium_consensus, mycelium_admin;

-- Applies one epoch its Raft group committed (the local agent, for every committed epoch, in log
-- order): idempotent ('already') and monotonic ('stale'); otherwise moves aside the entries after
-- start_seq this node holds (restoring the keys they touched), refuses a diverged chain (MC013),
-- and makes this node the shard's primary or a replica of primary_node ('primary' | 'replica').
-- Elected shards only (42809).
-- members: the shard's group as the agent knows it; on the new primary each gets a replicas
-- row (it pushes to them, and elected_shards lists them as voters).
CREATE FUNCTION mycelium.apply_shard_epoch(shard_id text, term bigint, primary_node text,
                                           start_seq bigint, start_hash bytea,
                                           members text[] DEFAULT NULL)
  RETURNS TABLE (outcome text, moved_aside bigint)
  AS 'MODULE_PATHNAME', 'mycelium_apply_shard_epoch'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION mycelium.apply_shard_epoch(text, bigint, text, bigint, bytea, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mycelium.apply_shard_epoch(text, bigint, text, bigint, bytea, text[])
  TO mycelium_consensus;
