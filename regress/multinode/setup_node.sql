-- Included by sql/replication_setup.sql on each node (not a scenario of its own).
SELECT mycelium.register_node('node-1', 'validator', :'k1', '127.0.0.1', :port1, '0.1.0', '{}', :'s1');
SELECT mycelium.register_node('node-2', 'validator', :'k2', '127.0.0.1', :port2, '0.1.0', '{}', :'s2');
SELECT mycelium.register_node('node-3', 'miner', :'k3', '127.0.0.1', :port3, '0.1.0', '{}', :'s3');
CREATE ROLE mycelium_sync LOGIN IN ROLE mycelium_replicator;
CREATE ROLE mycelium_reader LOGIN IN ROLE mycelium_miner;
SELECT mycelium.set_peer_credentials(n, 'sync', 'mycelium_sync'),
       mycelium.set_peer_credentials(n, 'read', 'mycelium_reader')
  FROM unnest(ARRAY['node-1', 'node-2', 'node-3']) n
 WHERE n <> (SELECT node_id FROM mycelium.local_node);
