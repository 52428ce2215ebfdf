#include "mycelium/p2p/registry.hpp"
#include "mycelium/saturating.hpp"

#include <limits>

namespace mycelium::p2p {

void NodeDirectory::set(std::string node_id, const NodeInfo &info) {
  nodes_[std::move(node_id)] = info;
}

void NodeDirectory::erase(std::string_view node_id) {
  const auto it = nodes_.find(node_id);
  if (it != nodes_.end())
    nodes_.erase(it);
}

std::optional<NodeInfo> NodeDirectory::find(std::string_view node_id) const {
  const auto it = nodes_.find(node_id);
  if (it == nodes_.end())
    return std::nullopt;
  return it->second;
}

std::uint64_t NodeDirectory::active_validator_stake() const {
  std::uint64_t total = 0;
  for (const auto &[id, info] : nodes_)
    if (info.active && info.is_validator)
      total = saturating_add(total, info.stake);
  return total;
}

} // namespace mycelium::p2p
