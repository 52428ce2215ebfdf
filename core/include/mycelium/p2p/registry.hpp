// What the peer-to-peer building blocks and the agent need to know about other nodes: the
// registered key, whether the node is active, whether it is a validator, and its stake. The
// agent fills one NodeDirectory from mycelium.node_metadata and reads it itself (admission,
// /status, /peers); the building blocks only read it, so they stay pure (no database) and their
// tests need no server.
#pragma once

#include "mycelium/ed25519.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mycelium::p2p {

struct NodeInfo {
  PublicKey public_key{};
  bool active = false;
  bool is_validator = false; // node_type 'validator'; otherwise a miner
  // In whole units: what the blacklist's stake rule adds up (integers keep its sums exact).
  std::uint64_t stake = 0;
  // As the registry states it (fractional: a chain's stake is in TAO), for comparisons with a
  // configured amount such as the agent's min_stake. The agent sets stake to its rounding.
  double stake_exact = 0;
};

// Read-only view of the registry. Implementations must answer consistently between calls that
// are not separated by an update (Blacklist sums stakes across several lookups).
class NodeRegistry {
public:
  virtual ~NodeRegistry() = default;
  // nullopt: the node is not registered.
  virtual std::optional<NodeInfo> find(std::string_view node_id) const = 0;
  // Sum of the stakes of the nodes that are active validators (saturating at 2^64 - 1).
  virtual std::uint64_t active_validator_stake() const = 0;
};

// A snapshot held in memory: the agent replaces it whole when it re-reads node_metadata.
class NodeDirectory final : public NodeRegistry {
public:
  using Nodes = std::map<std::string, NodeInfo, std::less<>>;

  void set(std::string node_id, const NodeInfo &info);
  void erase(std::string_view node_id);
  std::size_t size() const { return nodes_.size(); }
  // Every node, by node id.
  Nodes::const_iterator begin() const { return nodes_.begin(); }
  Nodes::const_iterator end() const { return nodes_.end(); }

  std::optional<NodeInfo> find(std::string_view node_id) const override;
  std::uint64_t active_validator_stake() const override;

private:
  Nodes nodes_;
};

} // namespace mycelium::p2p
