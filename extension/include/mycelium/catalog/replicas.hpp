// Replication's records, through typed functions: on a primary, each replica of a shard and its
// push state (mycelium.replicas); on a replica, the last open or close its primary sent
// (mycelium.replica_controls) and the entries it refused (mycelium.inbox_rejections). Part of
// the catalog (extension/src/catalog/). Callers hold an SPI connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::catalog {

// A primary's replicas.

// false when the node already holds a replica of the shard.
bool insert_replica(const std::string &shard_id, const std::string &node_id);
// The initial copy is done: the replica counts for shard_health and for marking entries synced.
void set_replica_active(const std::string &shard_id, const std::string &node_id);
// false when the node holds no replica of the shard.
bool delete_replica(const std::string &shard_id, const std::string &node_id);
std::vector<std::string> replica_nodes(const std::string &shard_id);

// The replica's row locked for a push until the end of the transaction (one pusher per replica:
// two interleaving on the replica would wait for each other across two nodes, where no deadlock
// detector sees it); returns the seq pushed last, 0 when the row is gone.
std::int64_t lock_replica_for_push(const std::string &shard_id, const std::string &node_id);
void record_pushed(const std::string &shard_id, const std::string &node_id, std::int64_t head_seq);
// A failed push: counted, retried after a backoff (1, 2, 4, 8, then every 10 s); a diverged
// replica is marked so until an operator rebuilds it.
void record_push_failure(const std::string &shard_id, const std::string &node_id,
                         const std::string &error, bool diverged);
void record_push_success(const std::string &shard_id, const std::string &node_id);

struct ReplicaRef {
  std::string shard_id;
  std::string node_id;
};
// The replicas of primary shards (one shard, or all) a round should push to, ordered by shard.
// With `respect_backoff`, only those whose backoff is over and that are behind, failing, or not
// tried for 10 s (the worker's round); without it all of them (push_now).
std::vector<ReplicaRef> replicas_due(const std::optional<std::string> &shard_id,
                                     bool respect_backoff);

// A replica's side.

// The issue time (Unix microseconds) of the last open or close accepted for the shard, locked
// until the end of the transaction; 0 when none was.
std::int64_t lock_last_control(const std::string &shard_id);

// An elected shard's new primary (this node, `self`) pushes to the shard's other holders it
// knows of: every earlier epoch's primary registered here and active gets an 'active' replicas
// row (rows it kept from its own earlier terms stay), and no row names this node itself.
void adopt_epoch_holders(const std::string &shard_id, const std::string &self);
// On an elected shard's primary: an active replicas row for each of `members` (the shard's Raft
// group as its agent knows it) that is an active registered validator other than `self` and has
// none
// (miners never vote: one named here is an agent's mistake and is skipped).
void adopt_group_members(const std::string &shard_id, const std::string &self,
                         const std::vector<std::string> &members);
// A demoted primary's record of what it pushed is cut back to the epoch's start.
void clamp_pushed_seq(const std::string &shard_id, std::int64_t seq);
void record_control(const std::string &shard_id, const std::string &primary_node,
                    const std::string &op, std::int64_t issued_at_us,
                    const std::string &signature_hex);
void record_inbox_rejection(const std::string &shard_id, std::int64_t seq,
                            const std::string &origin_node, const std::string &sqlstate,
                            const std::string &reason);

} // namespace mycelium::catalog
