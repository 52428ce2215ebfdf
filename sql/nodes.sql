-- Nodes register with proof of possession: the node signs its own registration.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/regress/helpers.sql

\set v1_key `:sign public validator-1`
\set v2_key `:sign public validator-2`
\set m1_key `:sign public miner-1`

-- validator-1 signs the registration payload with its secret key (outside SQL) ...
SELECT encode(mycelium.registration_payload('validator-1', 'validator', :'v1_key', '127.0.0.1', 7001, '0.1.0', '{"regions": ["eu"]}'), 'hex') AS payload \gset
\set v1_reg `:sign sign validator-1 :payload`
-- ... and the database checks that signature against the key being registered.
SELECT mycelium.register_node('validator-1', 'validator', :'v1_key', '127.0.0.1', 7001, '0.1.0', '{"regions": ["eu"]}', :'v1_reg');

SELECT encode(mycelium.registration_payload('validator-2', 'validator', :'v2_key', '127.0.0.1', 7002, '0.1.0'), 'hex') AS payload \gset
\set v2_reg `:sign sign validator-2 :payload`
SELECT mycelium.register_node('validator-2', 'validator', :'v2_key', '127.0.0.1', 7002, '0.1.0', '{}', :'v2_reg');

SELECT encode(mycelium.registration_payload('miner-1', 'miner', :'m1_key', '127.0.0.1', 7101, '0.1.0'), 'hex') AS payload \gset
\set m1_reg `:sign sign miner-1 :payload`
SELECT mycelium.register_node('miner-1', 'miner', :'m1_key', '127.0.0.1', 7101, '0.1.0', '{}', :'m1_reg');

SELECT node_id, node_type, ip, port, is_active, capabilities, stake
  FROM mycelium.node_metadata ORDER BY node_id;

-- Registering again with the same key refreshes the entry.
SELECT mycelium.register_node('validator-1', 'validator', :'v1_key', '127.0.0.1', 7001, '0.1.0', '{"regions": ["eu"]}', :'v1_reg');
SELECT count(*) AS nodes FROM mycelium.node_metadata;

-- Proof of possession fails: validator-2's signature presented for validator-1's registration.
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('validator-1', 'validator', %L, '127.0.0.1', 7001, '0.1.0', '{"regions": ["eu"]}', %L)$$, :'v1_key', :'v2_reg'));
-- ... or any field changed after signing (here the port).
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('validator-1', 'validator', %L, '127.0.0.1', 7009, '0.1.0', '{"regions": ["eu"]}', %L)$$, :'v1_key', :'v1_reg'));

-- Keys and signatures are lowercase hex of exactly the right length; the message names the field.
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 1, '0.1.0', '{}', %L)$$, upper(:'v1_key'), :'v1_reg'));
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 1, '0.1.0', '{}', %L)$$, left(:'v1_key', 62), :'v1_reg'));
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 1, '0.1.0', '{}', %L)$$, :'v1_key', 'zz' || right(:'v1_reg', 126)));
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 1, '0.1.0', '{}', %L)$$, :'v1_key', :'v1_reg' || '00'));
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 1, '0.1.0', '{}', NULL)$$, :'v1_key'));
SELECT pg_temp.error_of($$SELECT mycelium.register_node('x', 'validator', NULL, '127.0.0.1', 1, '0.1.0', '{}', NULL)$$);
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'observer', %L, '127.0.0.1', 1, '0.1.0', '{}', %L)$$, :'v1_key', :'v1_reg'));
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('x', 'validator', %L, '127.0.0.1', 0, '0.1.0', '{}', %L)$$, :'v1_key', :'v1_reg'));

-- A key belongs to one node.
SELECT encode(mycelium.registration_payload('validator-9', 'validator', :'v1_key', '127.0.0.1', 7009, '0.1.0'), 'hex') AS payload \gset
\set v9_reg `:sign sign validator-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('validator-9', 'validator', %L, '127.0.0.1', 7009, '0.1.0', '{}', %L)$$, :'v1_key', :'v9_reg'));

-- Deactivation (validator-3 is used by later tests as an inactive signer); an unknown node is an error.
\set v3_key `:sign public validator-3`
SELECT encode(mycelium.registration_payload('validator-3', 'validator', :'v3_key', '127.0.0.1', 7003, '0.1.0'), 'hex') AS payload \gset
\set v3_reg `:sign sign validator-3 :payload`
SELECT mycelium.register_node('validator-3', 'validator', :'v3_key', '127.0.0.1', 7003, '0.1.0', '{}', :'v3_reg');
SELECT mycelium.deactivate_node('validator-3');
SELECT node_id, is_active FROM mycelium.node_metadata WHERE node_id = 'validator-3';
SELECT pg_temp.error_of($$SELECT mycelium.deactivate_node('nobody')$$);

-- Malformed node ids are 22023 naming the field, not a CHECK constraint's 23514.
SELECT pg_temp.error_of($$SELECT mycelium.register_node('bad id!', 'validator', repeat('a', 64), '127.0.0.1', 1, '0.1.0', '{}', repeat('b', 128))$$);
SELECT pg_temp.error_of($$SELECT mycelium.register_node(repeat('n', 64), 'validator', repeat('a', 64), '127.0.0.1', 1, '0.1.0', '{}', repeat('b', 128))$$);
SELECT pg_temp.error_of($$SELECT mycelium.register_node('-dash', 'validator', repeat('a', 64), '127.0.0.1', 1, '0.1.0', '{}', repeat('b', 128))$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_local_node('no spaces')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_node_database('bad id!', 'db')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_node_database('nobody', 'db')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_peer_credentials('validator-1', 'write', 'u', 'p')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_peer_credentials('nobody', 'push', 'u', 'p')$$);
SELECT pg_temp.error_of($$SELECT mycelium.set_peer_credentials('validator-1', 'push', NULL, 'p')$$);
SELECT count(*) AS credentials_stored FROM mycelium.peer_credentials;

-- A registration's ip is an address (postgres_fdw reaches the node's PostgreSQL there), and a
-- registration never changes a node's type: validators write, miners only read.
SELECT pg_temp.error_of($$SELECT mycelium.registration_payload('validator-1', 'validator', repeat('a', 64), 'not-an-ip', 7001, '0.1.0')$$);
SELECT encode(mycelium.registration_payload('validator-1', 'miner', :'v1_key', '127.0.0.1', 7001, '0.1.0'), 'hex') AS payload \gset
\set v1_as_miner `:sign sign validator-1 :payload`
SELECT pg_temp.error_of(format($$SELECT mycelium.register_node('validator-1', 'miner', %L, '127.0.0.1', 7001, '0.1.0', '{}', %L)$$, :'v1_key', :'v1_as_miner'));
SELECT node_type FROM mycelium.node_metadata WHERE node_id = 'validator-1';
