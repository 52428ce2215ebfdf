-- Included by sql/replication_setup.sql on each node (not a scenario of its own).
SELECT mycelium.register_node('node-1', 'validator', :'k1', '127.0.0.1', :port1, '0.1.0', '{}', :'s1');
SELECT mycelium.register_node('node-2', 'validator', :'k2', '127.0.0.1', :port2, '0.1.0', '{}', :'s2');
SELECT mycelium.register_node('node-3', 'miner', :'k3', '127.0.0.1', :port3, '0.1.0', '{}', :'s3');
-- One push login per peer that pushes here (sync_node_1 is node-1's), as README documents, so
-- that one node's login cannot be used for another's and each can be revoked alone.
CREATE ROLE sync_node_1 LOGIN IN ROLE mycelium_replicator;
CREATE ROLE sync_node_2 LOGIN IN ROLE mycelium_replicator;
CREATE ROLE sync_node_3 LOGIN IN ROLE mycelium_replicator;
CREATE ROLE mycelium_reader LOGIN IN ROLE mycelium_miner;
SELECT mycelium.set_peer_credentials(n, 'push', replace((SELECT 'sync_' || node_id FROM mycelium.local_node), '-', '_')),
       mycelium.set_peer_credentials(n, 'read', 'mycelium_reader')
  FROM unnest(ARRAY['node-1', 'node-2', 'node-3']) n
 WHERE n <> (SELECT node_id FROM mycelium.local_node);
