-- Elected shards, the write side (schemas/CONSENSUS.md, "Elected shards: the write side"): a
-- node writes an elected shard only while it is the primary of the shard's applied epoch and the
-- local agent reports its lease of that term (mycelium.report_consensus), checked when the shard
-- is locked for writing and again at commit. The epoch state is set by hand here
-- (regress/elected_helpers.sql); fixed-primary shards are untouched by all of it.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql
\i :abs_srcdir/regress/elected_helpers.sql

-- This node, for the test, is 'regress-primary' (unregistered: its node key is not checked
-- against a registration).
SELECT node_id AS own_name FROM mycelium.local_node \gset
SELECT mycelium.set_local_node('regress-primary');

-- Signed writes prepared up front (the signer runs in the shell, which takes its time).
SELECT encode(mycelium.signing_payload('put', 'elect_a', 'k', '1', 1, 'validator-1'), 'hex') AS payload \gset
\set a_put1 `:sign sign validator-1 :payload`
SELECT encode(mycelium.signing_payload('put', 'elect_a', 'k', '2', 2, 'validator-1'), 'hex') AS payload \gset
\set a_put2 `:sign sign validator-1 :payload`
SELECT encode(mycelium.signing_payload('put', 'elect_a', 'k', '3', 3, 'validator-1'), 'hex') AS payload \gset
\set a_put3 `:sign sign validator-1 :payload`
SELECT encode(mycelium.signing_payload('delete', 'elect_a', 'k', NULL, 3, 'validator-1'), 'hex') AS payload \gset
\set a_del3 `:sign sign validator-1 :payload`
SELECT encode(mycelium.signing_payload('put', 'elect_b', 'k', '1', 1, 'validator-1'), 'hex') AS payload \gset
\set b_put1 `:sign sign validator-1 :payload`
SELECT encode(mycelium.signing_payload('put', 'alpha', 'elected-test', '1', 1, 'validator-1'), 'hex') AS payload \gset
\set alpha_put `:sign sign validator-1 :payload`

------------------------------------------------------------------------------------------------
-- create_shard(elected => true): a primary in term 0, which nobody may write yet.
------------------------------------------------------------------------------------------------
SELECT mycelium.create_shard('elect_a', replicas => 0, elected => true);
SELECT mycelium.create_shard('elect_b', replicas => 0, elected => true);
SELECT pg_temp.error_of($$SELECT mycelium.create_shard('elect_null', replicas => 0, elected => NULL)$$);
SELECT shard_id, kind, elected, term, primary_node FROM mycelium.shards
 WHERE shard_id IN ('elect_a', 'elect_b', 'alpha') ORDER BY shard_id;
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));

-- mycelium.elected_shards: the agent's list of groups. On the primary the voters are this node
-- and the active replicas on validators (not miners, not copies still being made).
INSERT INTO mycelium.replicas (shard_id, node_id, status) VALUES
  ('elect_a', 'validator-2', 'active'), ('elect_a', 'miner-1', 'active'),
  ('elect_a', 'validator-1', 'copying');
SELECT * FROM mycelium.elected_shards ORDER BY shard_id;
DELETE FROM mycelium.replicas WHERE shard_id = 'elect_a';

------------------------------------------------------------------------------------------------
-- Term 3 applied, this node its primary: it writes only with a lease of term 3 that has not
-- ended. Each refusal is MC012 and stores nothing.
------------------------------------------------------------------------------------------------
SELECT pg_temp.set_epoch('elect_a', 3, 'regress-primary');
-- no lease reported:
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));
-- a lease of another term:
SELECT pg_temp.lease('elect_a', 2, 'regress-primary', 60000);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));
-- a lease of term 3 that has ended, or none (0):
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', -1);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));
-- (plain INSERT, on the parent or naming the partition, goes through the same door)
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data VALUES ('k', '1', 1, 'validator-1', %L, 'elect_a')$$, :'a_put1'));
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data_elect_a VALUES ('k', '1', 1, 'validator-1', %L, 'elect_a')$$, :'a_put1'));
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', NULL);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));
SELECT count(*) AS records, (SELECT count(*) FROM mycelium.audit_log WHERE shard_id = 'elect_a') AS entries
  FROM mycelium.data WHERE shard_id = 'elect_a';

-- A lease of term 3, a minute long: writes go through (put, plain UPDATE, delete).
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', 60000);
SELECT shard_id, term, leader, lease_valid, lease_remaining_ms BETWEEN 50000 AND 60000 AS about_a_minute
  FROM mycelium.consensus_state ORDER BY shard_id;
SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', :'a_put1');
UPDATE mycelium.data_elect_a SET value = '2', version = 2, signature = :'a_put2' WHERE key = 'k';
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'elect_a';
SELECT seq, op, version, origin_node FROM mycelium.audit_log WHERE shard_id = 'elect_a' ORDER BY seq;
SELECT valid, entries FROM mycelium.verify_audit('elect_a');
-- shard_head: the head and the term of its last entry, for a leader's epoch proposal.
SELECT seq, hash = (SELECT entry_hash FROM mycelium.audit_log WHERE shard_id = 'elect_a' AND seq = 2) AS head_hash_matches, term
  FROM mycelium.shard_head('elect_a');
SELECT * FROM mycelium.shard_head('elect_b');
SELECT pg_temp.error_of($$SELECT * FROM mycelium.shard_head('no_such_shard')$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.shard_head(NULL)$$);

------------------------------------------------------------------------------------------------
-- The commit-time check: a transaction whose lease ends before COMMIT fails there, with MC012,
-- and nothing of it is stored.
------------------------------------------------------------------------------------------------
BEGIN;
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', 2000);
SELECT mycelium.put('elect_a', 'k', '3', 3, 'validator-1', :'a_put3');
SELECT pg_sleep(2.5);
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT key, value, version FROM mycelium.data WHERE shard_id = 'elect_a';
SELECT max(seq) AS last_seq, count(*) AS entries FROM mycelium.audit_log WHERE shard_id = 'elect_a';
SELECT head_seq FROM mycelium.shards WHERE shard_id = 'elect_a';

-- A write rolled back with its savepoint needs no lease at commit.
BEGIN;
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', 2000);
SAVEPOINT before_put;
SELECT mycelium.put('elect_a', 'k', '3', 3, 'validator-1', :'a_put3');
ROLLBACK TO SAVEPOINT before_put;
SELECT pg_sleep(2.5);
COMMIT;
SELECT key, version FROM mycelium.data WHERE shard_id = 'elect_a';

-- A transaction that wrote an elected shard cannot be prepared (COMMIT PREPARED would come with
-- no check).
SELECT pg_temp.lease('elect_a', 3, 'regress-primary', 60000);
BEGIN;
SELECT mycelium.put('elect_a', 'k', '3', 3, 'validator-1', :'a_put3');
\set VERBOSITY terse
PREPARE TRANSACTION 'elected';
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT key, version FROM mycelium.data WHERE shard_id = 'elect_a';

-- The lease lets a signed delete through too.
SELECT mycelium.delete('elect_a', 'k', 3, 'validator-1', :'a_del3');
SELECT count(*) AS records FROM mycelium.data WHERE shard_id = 'elect_a';

------------------------------------------------------------------------------------------------
-- Who to write to instead. A refusal names the node when this one knows it.
------------------------------------------------------------------------------------------------
-- elect_b: term 1 applied here, but its group has moved on to term 2 under validator-2.
SELECT pg_temp.set_epoch('elect_b', 1, 'regress-primary');
SELECT pg_temp.lease('elect_b', 2, 'validator-2', NULL);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_b', 'k', '1', 1, 'validator-1', %L)$$, :'b_put1'));
-- This node leads term 3, whose epoch is not applied yet.
SELECT pg_temp.lease('elect_b', 3, 'regress-primary', 60000);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_b', 'k', '1', 1, 'validator-1', %L)$$, :'b_put1'));
-- A late report of an older term does not lower the term held.
SELECT pg_temp.lease('elect_b', 1, 'regress-primary', 60000);
SELECT shard_id, term, leader FROM mycelium.consensus_state WHERE shard_id = 'elect_b';
-- Term 3 applied: a lease naming another leader is no right to write; its own lease is.
SELECT pg_temp.set_epoch('elect_b', 3, 'regress-primary');
SELECT pg_temp.lease('elect_b', 3, 'validator-2', 60000);
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_b', 'k', '1', 1, 'validator-1', %L)$$, :'b_put1'));
SELECT pg_temp.lease('elect_b', 3, 'regress-primary', 60000);
SELECT mycelium.put('elect_b', 'k', '1', 1, 'validator-1', :'b_put1');
-- elect_a: term 5 made validator-2 its primary; this node is a replica of it now, and a valid
-- lease of an older term changes nothing.
SELECT pg_temp.set_epoch('elect_a', 5, 'validator-2');
SELECT shard_id, kind, primary_node, term, voters FROM mycelium.elected_shards WHERE shard_id = 'elect_a';
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));
SELECT pg_temp.error_of(format($$INSERT INTO mycelium.data_elect_a VALUES ('k', '1', 1, 'validator-1', %L, 'elect_a')$$, :'a_put1'));

-- Fixed-primary shards need no lease.
SELECT mycelium.put('alpha', 'elected-test', '1', 1, 'validator-1', :'alpha_put');
SELECT key, version FROM mycelium.data WHERE shard_id = 'alpha' AND key = 'elected-test';

------------------------------------------------------------------------------------------------
-- report_consensus refuses bad input with its own SQLSTATE, and stores nothing of the call
-- (elect_x comes first in each and must not appear).
------------------------------------------------------------------------------------------------
SELECT pg_temp.boot_id() AS boot \gset
-- unequal lengths:
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
-- NULL elements and NULL arguments:
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,NULL}', '{1,1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,NULL}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,1}', '{"",NULL}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,1}', '{"",""}', '{0,NULL}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus(NULL, '{1}', '{""}', '{0}', %L)$$, :'boot'));
SELECT pg_temp.error_of($$SELECT mycelium.report_consensus('{elect_x}', '{1}', '{""}', '{0}', NULL)$$);
-- another host's (or boot's) boot id (the message names this host's, masked here):
SELECT replace(pg_temp.error_of($$SELECT mycelium.report_consensus('{elect_x}', '{1}', '{""}', '{0}', '00000000-0000-0000-0000-000000000000')$$),
               :'boot', '<boot id>') AS error_of;
-- values out of range, malformed ids, a shard named twice, a two-dimensional array:
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,-1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,1}', '{"",""}', '{0,-5}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,Elect_Y}', '{1,1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_y}', '{1,1}', '{"","no spaces"}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_x,elect_x}', '{1,1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{{elect_x},{elect_y}}', '{1,1}', '{"",""}', '{0,0}', %L)$$, :'boot'));
SELECT count(*) AS stored_elect_x FROM mycelium.consensus_state WHERE shard_id IN ('elect_x', 'elect_y');
-- An empty report is valid and changes nothing.
SELECT mycelium.report_consensus('{}', '{}', '{}', '{}', :'boot');

------------------------------------------------------------------------------------------------
-- Only the local agent's role, mycelium_consensus, may report; the others get 42501.
------------------------------------------------------------------------------------------------
CREATE ROLE regress_consensus LOGIN IN ROLE mycelium_consensus;
CREATE ROLE regress_el_validator LOGIN IN ROLE mycelium_validator;
CREATE ROLE regress_el_replicator LOGIN IN ROLE mycelium_replicator;
CREATE ROLE regress_el_miner LOGIN IN ROLE mycelium_miner;
CREATE ROLE regress_el_admin LOGIN IN ROLE mycelium_admin;
SET ROLE regress_el_validator;
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_a}', '{9}', '{""}', '{0}', %L)$$, :'boot'));
SET ROLE regress_el_replicator;
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_a}', '{9}', '{""}', '{0}', %L)$$, :'boot'));
SELECT pg_temp.error_of($$SELECT * FROM mycelium.elected_shards$$);
SELECT pg_temp.error_of($$SELECT * FROM mycelium.shard_head('elect_a')$$);
SET ROLE regress_el_miner;
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_a}', '{9}', '{""}', '{0}', %L)$$, :'boot'));
SET ROLE regress_el_admin;
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{elect_a}', '{9}', '{""}', '{0}', %L)$$, :'boot'));
SELECT shard_id, term FROM mycelium.consensus_state ORDER BY shard_id;
RESET ROLE;
SELECT shard_id, term FROM mycelium.consensus_state WHERE shard_id = 'elect_a';
SET ROLE regress_consensus;
SELECT mycelium.report_consensus('{elect_a}', '{6}', '{validator-2}', '{0}', :'boot');
SELECT shard_id, kind, term, head_seq FROM mycelium.elected_shards ORDER BY shard_id;
SELECT seq, term FROM mycelium.shard_head('elect_b');
SELECT shard_id, term, leader, lease_valid FROM mycelium.consensus_state ORDER BY shard_id;
-- ... and it writes no records, nor anything else.
SELECT pg_temp.error_of(format($$SELECT mycelium.put('alpha', 'elected-test', '1', 1, 'validator-1', %L)$$, :'alpha_put'));
SELECT pg_temp.error_of($$UPDATE mycelium.shards SET term = 99$$);
RESET ROLE;
SELECT pg_temp.error_of(format($$SELECT mycelium.put('elect_a', 'k', '1', 1, 'validator-1', %L)$$, :'a_put1'));

------------------------------------------------------------------------------------------------
-- The table holds mycelium.max_elected_shards shards (64 in this suite): a report that does not
-- fit, even after dropping ended leases, is refused whole.
------------------------------------------------------------------------------------------------
SELECT current_setting('mycelium.max_elected_shards') AS cap \gset
SELECT count(*) FILTER (WHERE lease_valid) AS valid, count(*) AS held FROM mycelium.consensus_state;
-- cap new shards with live leases, beside elect_b's: one too many. Nothing changes, not even
-- elect_a's ended lease goes.
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus(
  ARRAY(SELECT 'fill_' || i FROM generate_series(1, %s) i),
  ARRAY(SELECT 1::bigint FROM generate_series(1, %s)),
  ARRAY(SELECT 'regress-primary' FROM generate_series(1, %s)),
  ARRAY(SELECT mycelium.monotonic_now_ms() + 60000 FROM generate_series(1, %s)), %L)$$,
  :cap, :cap, :cap, :cap, :'boot'));
SELECT count(*) AS held FROM mycelium.consensus_state;
-- cap - 1 fit: elect_a's ended lease makes room.
SELECT mycelium.report_consensus(
  ARRAY(SELECT 'fill_' || i FROM generate_series(1, :cap - 1) i),
  ARRAY(SELECT 1::bigint FROM generate_series(1, :cap - 1)),
  ARRAY(SELECT 'regress-primary' FROM generate_series(1, :cap - 1)),
  ARRAY(SELECT mycelium.monotonic_now_ms() + 60000 FROM generate_series(1, :cap - 1)), :'boot');
SELECT count(*) AS held, count(*) FILTER (WHERE shard_id = 'elect_a') AS elect_a FROM mycelium.consensus_state;
SELECT pg_temp.error_of(format($$SELECT mycelium.report_consensus('{one_more}', '{1}', '{""}', '{0}', %L)$$, :'boot'));
-- Reports of shards held still go through.
SELECT mycelium.report_consensus('{elect_b}', '{3}', '{regress-primary}', '{0}', :'boot');
SELECT shard_id, term, lease_valid FROM mycelium.consensus_state WHERE shard_id = 'elect_b';

-- A dropped shard's lease goes with it. Created again with the same id, its new group starts at
-- term 1, and that report is taken (it used to be skipped as a late one of the old term 7, so
-- the new shard could never be written).
SELECT pg_temp.set_epoch('elect_a', 7, 'regress-primary');
SELECT mycelium.drop_shard('elect_a', force => true);
SELECT count(*) AS elect_a_leases FROM mycelium.consensus_state WHERE shard_id = 'elect_a';
SELECT mycelium.create_shard('elect_a', replicas => 0, elected => true);
SELECT pg_temp.set_epoch('elect_a', 1, 'regress-primary');
SELECT pg_temp.lease('elect_a', 1, 'regress-primary', 60000);
SELECT shard_id, term, leader, lease_valid FROM mycelium.consensus_state WHERE shard_id = 'elect_a';

-- Clean up: the shards (their leases run out by themselves), roles and this node's name.
SELECT mycelium.drop_shard('elect_a', force => true);
SELECT mycelium.drop_shard('elect_b', force => true);
DROP ROLE regress_consensus, regress_el_validator, regress_el_replicator, regress_el_miner,
  regress_el_admin;
SELECT mycelium.set_local_node(:'own_name');
