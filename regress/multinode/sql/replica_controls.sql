-- Replica control messages (open and close) are believed only when signed by the primary they
-- name, meant for this node, fresh, and newer than the last one accepted for the shard. A
-- replicator login, which every node holds for its peers, can neither drop a replica's copy
-- nor create a replica shard, and a genuine message cannot be replayed.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/helpers.sql
\c mycelium postgres 127.0.0.1 :port1
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
SELECT mycelium.create_shard('s-ctl', replicas => 0);
SELECT mycelium.add_replica('s-ctl', 'node-2');
\set shard s-ctl
\set prefix c
\set count 3
\set version 1
\i :abs_srcdir/regress/multinode/signed_puts.sql
SELECT mycelium.push_now('s-ctl') AS pushed;

\c mycelium postgres 127.0.0.1 :port2
\i :abs_srcdir/regress/helpers.sql
\set QUIET on
-- What node-2 accepted: node-1's open, for node-2.
SELECT shard_id, primary_node, op FROM mycelium.replica_controls WHERE shard_id = 's-ctl';
CREATE TEMP VIEW rejected AS SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections
 WHERE shard_id IN ('s-ctl', 'hijack') ORDER BY rejection_id;
SELECT mycelium._timestamptz_to_us(clock_timestamp()) AS now_us \gset
SELECT :now_us - 600000000 AS old_us, :now_us + 120000000 AS ahead_us \gset
\set close_by_node2 `:sign control node-2 close s-ctl node-1 node-2 :now_us null`
\set close_for_node3 `:sign control node-1 close s-ctl node-1 node-3 :now_us null`
\set close_old `:sign control node-1 close s-ctl node-1 node-2 :old_us null`
\set close_ahead `:sign control node-1 close s-ctl node-1 node-2 :ahead_us null`
\set open_by_miner `:sign control node-3 open hijack node-3 node-2 :now_us null`
SET ROLE sync_node_1;
-- An unsigned close (which used to drop the replica's records and log):
INSERT INTO mycelium.inbox VALUES ('s-ctl', 0, 'close', 'node-2', 0, NULL, '', '', now(), 'node-1', '\x', '\x', '');
-- A close signed by node-2 itself, naming node-1 as the primary:
INSERT INTO mycelium.inbox VALUES ('s-ctl', 0, 'close', 'node-2', 0, NULL, '', :'close_by_node2',
       mycelium._us_to_timestamptz(:now_us), 'node-1', '\x', '\x', '');
-- node-1's close meant for node-3, delivered to node-2:
INSERT INTO mycelium.inbox VALUES ('s-ctl', 0, 'close', 'node-3', 0, NULL, '', :'close_for_node3',
       mycelium._us_to_timestamptz(:now_us), 'node-1', '\x', '\x', '');
-- node-1's close for node-2, but issued ten minutes ago, or two minutes ahead:
INSERT INTO mycelium.inbox VALUES ('s-ctl', 0, 'close', 'node-2', 0, NULL, '', :'close_old',
       mycelium._us_to_timestamptz(:old_us), 'node-1', '\x', '\x', '');
INSERT INTO mycelium.inbox VALUES ('s-ctl', 0, 'close', 'node-2', 0, NULL, '', :'close_ahead',
       mycelium._us_to_timestamptz(:ahead_us), 'node-1', '\x', '\x', '');
-- An unsigned open of a shard id, naming any primary (it used to create the replica, and
-- create_shard of that id then failed here):
INSERT INTO mycelium.inbox VALUES ('hijack', 0, 'open', 'node-2', 0, NULL, '', '', now(), 'node-1', '\x', '\x', '');
-- An open signed by the miner node-3 as its own primary: only validators are primaries.
INSERT INTO mycelium.inbox VALUES ('hijack', 0, 'open', 'node-2', 0, NULL, '', :'open_by_miner',
       mycelium._us_to_timestamptz(:now_us), 'node-3', '\x', '\x', '');
RESET ROLE;
SELECT * FROM rejected;
-- Nothing changed: the replica keeps its copy, and there is no shard "hijack".
SELECT count(*) AS records FROM mycelium.data WHERE shard_id = 's-ctl';
SELECT count(*) AS entries FROM mycelium.audit_log WHERE shard_id = 's-ctl';
SELECT shard_id, kind FROM mycelium.shards WHERE shard_id IN ('s-ctl', 'hijack') ORDER BY 1;
SELECT mycelium.create_shard('hijack', replicas => 0);
SELECT mycelium.drop_shard('hijack');

-- Replay: the primary closes and reopens the replica; its close, delivered again, is refused as
-- not newer than the open that followed it.
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.remove_replica('s-ctl', 'node-2');
\c mycelium postgres 127.0.0.1 :port2
SELECT format('%L, %L', signature, mycelium._us_to_timestamptz(issued_at_us)) AS genuine_close
  FROM mycelium.replica_controls WHERE shard_id = 's-ctl' AND op = 'close' \gset
SELECT count(*) AS shards_left FROM mycelium.shards WHERE shard_id = 's-ctl';
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.add_replica('s-ctl', 'node-2');
\c mycelium postgres 127.0.0.1 :port2
CREATE TEMP VIEW rejected AS SELECT seq, sqlstate, reason FROM mycelium.inbox_rejections
 WHERE shard_id = 's-ctl' ORDER BY rejection_id;
SET ROLE sync_node_1;
INSERT INTO mycelium.inbox SELECT 's-ctl', 0, 'close', 'node-2', 0, NULL, '', c.signature, c.issued_at::timestamptz,
       'node-1', '\x', '\x', '' FROM (VALUES (:genuine_close)) c(signature, issued_at);
RESET ROLE;
SELECT * FROM rejected OFFSET 3;
SELECT count(*) AS records FROM mycelium.data WHERE shard_id = 's-ctl';

-- A replica refuses what its primary would refuse. Behind the triggers' back, a superuser on
-- node-2 removes record c1; node-1 then deletes c1 properly. The replica refuses that delete
-- (MC011: it holds no such record) rather than applying it and moving its head past the
-- primary's: it used to check only the version.
ALTER TABLE mycelium.data DISABLE TRIGGER guard_data_change;
DELETE FROM mycelium.data WHERE shard_id = 's-ctl' AND key = 'c1';
ALTER TABLE mycelium.data ENABLE ALWAYS TRIGGER guard_data_change;
\c mycelium postgres 127.0.0.1 :port1
\set c1_delete `:sign delete node-1 s-ctl c1 2`
SELECT mycelium.delete('s-ctl', 'c1', 2, 'node-1', :'c1_delete');
SELECT mycelium.push_now('s-ctl') AS pushed;
SELECT last_pushed_seq, lag_changes, last_error FROM mycelium.push_status WHERE shard_id = 's-ctl';
\c mycelium postgres 127.0.0.1 :port2
SELECT head_seq FROM mycelium.shards WHERE shard_id = 's-ctl';
\c mycelium postgres 127.0.0.1 :port1
SELECT mycelium.remove_replica('s-ctl', 'node-2');
SELECT mycelium.drop_shard('s-ctl', force => true);
