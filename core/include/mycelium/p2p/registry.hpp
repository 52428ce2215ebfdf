// What the peer-to-peer building blocks need to know about other nodes: the registered key,
// whether the node is active, whether it is a validator, and its stake. The agent fills a
// NodeDirectory from mycelium.node_metadata; the building blocks only read it, so they stay
// pure (no database) and their tests need no server.
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
  bool is_validator = false;
  std::uint64_t stake = 0;
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

// A snapshot held in memory: the agent replaces entries when it re-reads node_metadata.
class NodeDirectory final : public NodeRegistry {
public:
  void set(std::string node_id, const NodeInfo &info);
  void erase(std::string_view node_id);
  std::size_t size() const { return nodes_.size(); }

  std::optional<NodeInfo> find(std::string_view node_id) const override;
  std::uint64_t active_validator_stake() const override;

private:
  std::map<std::string, NodeInfo, std::less<>> nodes_;
};

} // namespace mycelium::p2p
