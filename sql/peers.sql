-- Peers: every other node, with the status its agent last reported (Status messages, relayed by
-- this node's agent through note_peer_status) and the blacklist entries held against it.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

-- This database speaks for validator-1 (until set, the local node is pg-<system identifier>),
-- so validator-1 is not among its peers. Nothing has been reported yet.
SELECT node_id AS original_local_node FROM mycelium.local_node \gset
SELECT mycelium.set_local_node('validator-1');
SELECT node_id, node_type, is_active, stake, protocol_version, version, status, peer_count,
       sync_progress, lag, reported_at, blacklist_entries
  FROM mycelium.peers ORDER BY node_id;

-- validator-2's agent sends its status in a Status message; validator-1's agent passes it on with
-- the message's field names and integer units.
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms \gset
SELECT clock_timestamp() AS before_report \gset
SELECT mycelium.note_peer_status('validator-2', jsonb_build_object(
  'version', '0.1.0', 'status', 'ready', 'active', true, 'start_time_ms', 1700000000000,
  'last_sync_ms', :now_ms - 5000, 'last_heartbeat_ms', :now_ms - 1000, 'peer_count', 2,
  'serving_rate_milli', 12500, 'sync_progress_ppm', 987654, 'response_latency_us', 1234,
  'memory_bytes', 52428800, 'cpu_percent_milli', 3250));
-- Stored in plain units: times as timestamptz, progress as a fraction, rates, latency and CPU
-- divided by 1000. reported_by is the node whose agent relayed it.
SELECT node_id, version, status, active, start_time, peer_count, serving_rate, sync_progress,
       response_latency_ms, memory_bytes, cpu_percent, reported_by
  FROM mycelium.peer_status;
SELECT last_sync = to_timestamp((:now_ms - 5000) / 1000.0) AS last_sync_as_sent,
       last_heartbeat = to_timestamp((:now_ms - 1000) / 1000.0) AS last_heartbeat_as_sent
  FROM mycelium.peer_status WHERE node_id = 'validator-2';
-- A report is a sign of life: the node's last_seen moves.
SELECT last_seen >= :'before_report' AS last_seen_updated
  FROM mycelium.node_metadata WHERE node_id = 'validator-2';
-- The view: lag is the time since the node's last completed sync.
SELECT node_id, version, status, peer_count, sync_progress, response_latency_ms,
       lag >= interval '5 seconds' AS lag_at_least_5s, reported_at IS NOT NULL AS reported
  FROM mycelium.peers WHERE node_id = 'validator-2';

-- A later report replaces the earlier one. 0 means never (last_sync NULL, so no lag); fields
-- left out are NULL; fields this version does not know are ignored (a newer agent may send
-- more).
SELECT mycelium.note_peer_status('validator-2',
  '{"version": "0.1.1", "status": "syncing", "last_sync_ms": 0, "peer_count": 1, "shiny_new_field": [1, 2]}');
SELECT node_id, version, status, active, start_time, last_sync, peer_count, serving_rate
  FROM mycelium.peer_status;
SELECT node_id, version, status, lag FROM mycelium.peers WHERE node_id = 'validator-2';

-- blacklist_entries counts the live entries this node holds against a peer (one against
-- miner-1 is left from sql/blacklist.sql).
SELECT mycelium.note_peer_status('miner-1', '{"version": "0.1.0", "status": "ready", "active": true, "sync_progress_ppm": 1000000}');
SELECT node_id, node_type, status, sync_progress, blacklist_entries
  FROM mycelium.peers ORDER BY node_id;

------------------------------------------------------------------------------------------------
-- Refusals: nothing is recorded.
------------------------------------------------------------------------------------------------
-- An unknown node (42704) ...
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('nobody', '{"status": "ready"}')$$);
-- ... no node id or no status object (22023) ...
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status(NULL, '{"status": "ready"}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', NULL)$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '["ready"]')$$);
-- ... a field of the wrong type (22023) ...
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"version": 1}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"active": "yes"}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"peer_count": "2"}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"peer_count": 2.5}')$$);
-- ... or out of range (22023): counts are never negative, progress is at most 1000000 ppm,
-- times end with the year 9999, and each value must fit its column.
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"peer_count": -1}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"sync_progress_ppm": 1000001}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"last_sync_ms": 253402300800000}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"peer_count": 2147483648}')$$);
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('validator-2', '{"memory_bytes": 9223372036854775808}')$$);
SELECT node_id, version, status FROM mycelium.peer_status ORDER BY node_id;

------------------------------------------------------------------------------------------------
-- Roles: the agent's login reports; everyone reads the view.
------------------------------------------------------------------------------------------------
CREATE ROLE regress_peers_agent LOGIN IN ROLE mycelium_replicator, mycelium_miner;
CREATE ROLE regress_peers_miner LOGIN IN ROLE mycelium_miner;
CREATE ROLE regress_peers_validator LOGIN IN ROLE mycelium_validator;

SET ROLE regress_peers_agent;
SELECT mycelium.note_peer_status('validator-3', '{"status": "stopped", "active": false}');
SELECT node_id, is_active, status FROM mycelium.peers WHERE node_id = 'validator-3';
RESET ROLE;

SET ROLE regress_peers_miner;
SELECT node_id, status FROM mycelium.peers ORDER BY node_id;
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('miner-1', '{"status": "ready"}')$$);
SELECT pg_temp.error_of($$UPDATE mycelium.peer_status SET status = 'ready'$$);
RESET ROLE;

SET ROLE regress_peers_validator;
SELECT count(*) AS peers FROM mycelium.peers;
SELECT pg_temp.error_of($$SELECT mycelium.note_peer_status('miner-1', '{"status": "ready"}')$$);
RESET ROLE;

DROP ROLE regress_peers_agent, regress_peers_miner, regress_peers_validator;
SELECT mycelium.set_local_node(:'original_local_node');
