#include "mycelium/elected_fencing.hpp"

namespace mycelium {

namespace {

std::string quoted(const std::string &s) {
  return "\"" + s + "\"";
}

// The node a client should write to instead, if known and not this one: the leader the group
// reports, when the report is not older than the applied epoch, else the epoch's primary.
std::optional<std::string> elsewhere(const ElectedShard &shard, const LeaseLookup &lookup) {
  if (lookup.lease && lookup.lease->term >= shard.term && !lookup.lease->leader.empty() &&
      lookup.lease->leader != shard.local_node)
    return lookup.lease->leader;
  if (shard.primary_node && !shard.primary_node->empty() && *shard.primary_node != shard.local_node)
    return shard.primary_node;
  return std::nullopt;
}

// This node leads the group in a term whose epoch it has not applied yet: it is about to take
// office.
bool taking_office(const ElectedShard &shard, const LeaseLookup &lookup) {
  return lookup.lease && lookup.lease->term > shard.term &&
         lookup.lease->leader == shard.local_node;
}

std::string term_text(std::int64_t term) {
  return "(term " + std::to_string(term) + ")";
}

} // namespace

std::optional<std::string> elected_write_refusal(const ElectedShard &shard,
                                                 const LeaseLookup &lookup, std::int64_t now_ms) {
  const std::string name = "shard " + quoted(shard.shard_id);
  const std::string term = term_text(shard.term);
  if (!lookup.table_available)
    return name + " is elected, but this server was started without mycelium in "
                  "shared_preload_libraries: no lease can be held here, so it cannot be written";
  if (taking_office(shard, lookup))
    return name + " is elected and this node is not its primary yet " + term +
           ": it leads the shard's group in term " + std::to_string(lookup.lease->term) +
           " and writes once that term's epoch is applied; retry shortly";
  const std::optional<std::string> other = elsewhere(shard, lookup);
  const std::string redirect =
      other ? ": write to node " + quoted(*other) : "; its group is electing a primary";

  if (!shard.is_primary)
    return name + " is elected and this node is not its primary " + term +
           (other ? ": write to node " + quoted(*other)
                  : ": its primary is not known here yet; retry shortly");
  if (shard.term == 0)
    return name + " is elected and has no primary yet " + term + redirect;
  if (!lookup.lease)
    return name + ": this node holds no lease as its primary " + term +
           ": the local mycelium-agent has not reported the shard's group";
  const Lease &lease = *lookup.lease;
  if (lease.term > shard.term)
    return name + " is elected and this node is no longer its primary " + term +
           ", its group is in term " + std::to_string(lease.term) + redirect;
  if (lease.term < shard.term)
    return name + ": this node's lease is of term " + std::to_string(lease.term) +
           ", not of the shard's term " + std::to_string(shard.term) +
           "; its group is electing a primary";
  if (lease.valid_at(now_ms)) {
    // A lease is held by the leader only: one naming another node is a contradiction, and a
    // write must not rest on it.
    if (lease.leader.empty() || lease.leader == shard.local_node)
      return std::nullopt;
    return name + ": the local mycelium-agent reports a lease of term " +
           std::to_string(lease.term) + " led by node " + quoted(lease.leader) +
           ", not by this node " + quoted(shard.local_node);
  }
  if (other && !lease.leader.empty())
    return name + " is elected and this node is no longer its primary " + term + redirect;
  return name + ": this node's lease as primary " + term +
         " has expired; its group is electing a primary";
}

} // namespace mycelium
