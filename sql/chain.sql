-- The chain: a node's key bound to its Bittensor hotkey by the hotkey's sr25519 signature, and
-- each node's stake from one place (mycelium.node_stake): the chain's stake of a bound hotkey
-- once the agent has stored the subnet's metagraph, the registry's otherwise. The hotkeys here
-- are Substrate's development keys, signed with polkadot-js, not with our sr25519.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

\set alice `:polkadot address //Alice`
\set bob `:polkadot address //Bob`
SELECT :'alice' AS alice, :'bob' AS bob;

-- Without a binding or a chain, every node's stake is the registry's.
SELECT node_id, stake, source, hotkey FROM mycelium.node_stake ORDER BY node_id;

-- //Alice signs the binding payload for validator-1 (its node id, its registered node key and
-- the hotkey) and the database checks that signature before it stores the binding.
SELECT encode(mycelium.hotkey_binding_payload('validator-1', :'alice'), 'hex') AS payload \gset
SELECT convert_from(substring(decode(:'payload', 'hex') FROM 1 FOR 26), 'UTF8') AS domain;
\set alice_sig `:polkadot sign //Alice :payload`
SELECT mycelium.bind_hotkey('validator-1', :'alice', :'alice_sig');
SELECT h.node_id, h.hotkey, h.node_public_key = m.public_key AS for_its_current_key,
       h.hotkey_public_key
  FROM mycelium.node_hotkeys h JOIN mycelium.node_metadata m USING (node_id);

-- Every refusal has its SQLSTATE and changes nothing.
-- Another hotkey's signature (//Bob signed, //Alice claimed):
\set bob_sig `:polkadot sign //Bob :payload`
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'alice', :'bob_sig'));
-- validator-1's signature replayed for validator-2 (the payload names the node):
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-2', :'alice', :'alice_sig'));
-- A signature with one byte changed (only its SQLSTATE is shown: sr25519 signatures are
-- randomised, so the changed R may no longer be a valid point, or be one that fails the check),
-- and one without schnorrkel's marker bit:
SELECT left(pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'alice',
       overlay(:'alice_sig' PLACING CASE WHEN substr(:'alice_sig', 1, 1) = '0' THEN '1' ELSE '0' END FROM 1 FOR 1))), 6) AS refused;
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'alice',
       left(:'alice_sig', 126) || lpad(to_hex(('x' || right(:'alice_sig', 2))::bit(8)::int & 127), 2, '0')));
-- Malformed arguments, each named: a hotkey with a bad checksum, an address of another network
-- (Alice on Polkadot, prefix 0), a short signature, a node id that breaks the rule, NULLs.
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', left(:'alice', 47) || 'Z', :'alice_sig'));
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', '15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5', :'alice_sig'));
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'alice', left(:'alice_sig', 64)));
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'no such node!', :'alice', :'alice_sig'));
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(NULL, %L, %L)', :'alice', :'alice_sig'));
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, NULL, %L)', 'validator-1', :'alice_sig'));
-- A node that is not registered:
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-9', :'alice', :'alice_sig'));
-- A hotkey bound to one node cannot be bound to another, even with a valid signature:
SELECT encode(mycelium.hotkey_binding_payload('validator-2', :'alice'), 'hex') AS payload2 \gset
\set alice_sig2 `:polkadot sign //Alice :payload2`
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-2', :'alice', :'alice_sig2'));
SELECT node_id, hotkey FROM mycelium.node_hotkeys;
-- Only admins bind: a validator's login may not.
CREATE ROLE regress_chain_validator LOGIN IN ROLE mycelium_validator;
CREATE ROLE regress_chain_admin LOGIN IN ROLE mycelium_admin;
SET ROLE regress_chain_validator;
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'alice', :'alice_sig'));
RESET ROLE;

-- The metagraph is written by the local agent's login (role mycelium_chain) only: not by a
-- replicator (which remote nodes' push logins hold), a validator or an admin.
CREATE ROLE regress_chain_agent LOGIN IN ROLE mycelium_chain;
CREATE ROLE regress_replicator LOGIN IN ROLE mycelium_replicator;
\set neurons '[{"uid": 0, "hotkey": "' :alice '", "coldkey": "' :bob '", "stake_rao": "2500000000", "active": true, "validator_permit": true, "incentive": 65535, "trust": 0, "vtrust": 0.5, "last_update": 5000, "ip": "127.0.0.1", "ip_type": 4, "port": 8091, "protocol": 4}]'
SET ROLE regress_replicator;
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 100, %L, %L)', '0x' || repeat('ab', 32), :'neurons'));
SET ROLE regress_chain_admin;
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 100, %L, %L)', '0x' || repeat('ab', 32), :'neurons'));
SET ROLE regress_chain_agent;
SELECT mycelium.store_metagraph(1, 100, '0x' || repeat('ab', 32), :'neurons');
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 101, %L, %L)', '0x' || repeat('ab', 32), '{"uid": 0}'));
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 101, %L, %L)', 'not a hash', :'neurons'));
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(70000, 101, %L, %L)', '0x' || repeat('ab', 32), :'neurons'));
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 101, %L, NULL)', '0x' || repeat('ab', 32)));
-- Each neuron is checked before anything is stored, and the error names the element and field.
SELECT pg_temp.error_of(format('SELECT mycelium.store_metagraph(1, 101, %L, %L)', '0x' || repeat('ab', 32), bad))
  FROM (VALUES (jsonb_build_array(:'neurons'::jsonb -> 0, '"uid 1"'::jsonb)),
               (jsonb_set(:'neurons'::jsonb, '{0,port}', '"8091"')),
               (jsonb_set(:'neurons'::jsonb, '{0,uid}', '70000')),
               (jsonb_set(:'neurons'::jsonb, '{0,incentive}', '1.5')),
               (jsonb_set(:'neurons'::jsonb, '{0,stake_rao}', '"-5"')),
               (jsonb_set(:'neurons'::jsonb, '{0,stake_rao}', '25')),
               (jsonb_set(:'neurons'::jsonb, '{0,active}', '"yes"')),
               (jsonb_set(:'neurons'::jsonb, '{0,trust}', 'null')),
               (jsonb_build_array((:'neurons'::jsonb -> 0) - 'hotkey')),
               (jsonb_build_array((:'neurons'::jsonb) -> 0) || ((:'neurons'::jsonb) -> 0) || ((:'neurons'::jsonb) -> 0))
       ) AS t(bad);
-- A refused call changes nothing: the neurons of block 100 are still there.
SELECT count(*) AS neurons, max(block_number) AS block FROM mycelium.chain_neurons;
RESET ROLE;
SELECT netuid, uid, hotkey = :'alice' AS alice, stake_rao, vtrust, ip, port, block_number
  FROM mycelium.chain_neurons;

-- Now validator-1's stake is its hotkey's on the chain (2.5 TAO at block 100); the others keep
-- the registry's.
SELECT node_id, stake, source, hotkey = :'alice' AS alice, block_number
  FROM mycelium.node_stake ORDER BY node_id;
-- A bound hotkey that is not a neuron of the subnet has no stake there: //Bob for validator-2.
SELECT encode(mycelium.hotkey_binding_payload('validator-2', :'bob'), 'hex') AS payload3 \gset
\set bob_sig3 `:polkadot sign //Bob :payload3`
SELECT mycelium.bind_hotkey('validator-2', :'bob', :'bob_sig3');
SELECT node_id, stake, source FROM mycelium.node_stake WHERE node_id = 'validator-2';
-- A binding holds only for the node key it was made for: with another key registered, the
-- registry's stake counts again (simulated here by changing the recorded key).
UPDATE mycelium.node_hotkeys SET node_public_key = repeat('0', 64) WHERE node_id = 'validator-1';
SELECT node_id, stake, source FROM mycelium.node_stake WHERE node_id = 'validator-1';
-- Unbinding.
SELECT mycelium.unbind_hotkey('validator-1');
SELECT mycelium.unbind_hotkey('validator-1') AS again;
SELECT mycelium.unbind_hotkey('validator-2');
SELECT node_id, stake, source FROM mycelium.node_stake ORDER BY node_id;
-- Two binds of one hotkey to two nodes at once: the second waits for the first and is refused
-- by name (it used to fail on the unique index with 23505, naming no node). A second session
-- binds //Bob to validator-2 and holds its transaction open; this one binds //Bob to
-- validator-1 once the other is inside its bind.
SELECT encode(mycelium.hotkey_binding_payload('validator-1', :'bob'), 'hex') AS payload4 \gset
\set bob_sig4 `:polkadot sign //Bob :payload4`
\setenv PGDATABASE :DBNAME
\set bind_sql 'BEGIN; SELECT mycelium.bind_hotkey(''validator-2'', ''' :bob ''', ''' :bob_sig3 '''); SELECT pg_sleep(3) AS held_by_regress_bind; COMMIT;'
\setenv BIND_SQL :bind_sql
\! psql -X -q -c "$BIND_SQL" >/dev/null 2>&1 &
DO $$
BEGIN
  FOR i IN 1 .. 200 LOOP
    EXIT WHEN EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE '%held_by_regress_bind%'
                         AND pid <> pg_backend_pid() AND wait_event = 'PgSleep');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT pg_temp.error_of(format('SELECT mycelium.bind_hotkey(%L, %L, %L)', 'validator-1', :'bob', :'bob_sig4'));
SELECT node_id, hotkey = :'bob' AS bob FROM mycelium.node_hotkeys;
SELECT mycelium.unbind_hotkey('validator-2');
DROP ROLE regress_chain_agent, regress_replicator, regress_chain_validator, regress_chain_admin;
