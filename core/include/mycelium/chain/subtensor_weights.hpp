// Bittensor's weights on the chain: the SubtensorModule.set_weights call a validator signs, and
// the two per-subnet storage items read before it (CommitRevealWeightsEnabled: whether the subnet
// takes plain weights at all; WeightsVersionKey: the lowest version_key it accepts). Indices,
// argument types, storage prefixes and hashers all come from the runtime's metadata and are
// checked, so a runtime that changed any of them is refused instead of sent bytes it would
// misread. schemas/CHAIN.md, "Weights".
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/runtime_metadata.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mycelium::chain {

inline constexpr std::string_view kSubtensorPallet = "SubtensorModule";

struct SetWeights {
  std::uint16_t netuid = 0;
  std::vector<std::uint16_t> dests;   // neuron uids on the subnet
  std::vector<std::uint16_t> weights; // one per uid; relative, 65535 the most (weight_quantization)
  std::uint64_t version_key = 0;      // at least the subnet's WeightsVersionKey
};

// Throws Error 22023 when dests and weights differ in length or a uid repeats: the chain would
// reject both. Needs no metadata, so a caller can check before talking to the chain.
void check_set_weights(const SetWeights &call);

// pallet index ‖ call index ‖ netuid ‖ dests ‖ weights ‖ version_key. Throws what
// check_set_weights throws, and Error 22023 when the metadata's set_weights does not take exactly
// (netuid: u16, dests: Vec<u16>, weights: Vec<u16>, version_key: u64), newtypes such as NetUid(u16)
// allowed, naming the argument that differs; Error 42704 when the runtime has no
// SubtensorModule.set_weights.
Bytes encode_set_weights_call(const RuntimeMetadata &metadata, const SetWeights &call);

// The state_getStorage key of CommitRevealWeightsEnabled(netuid), and the value read from what
// state_getStorage answered (none: the metadata's default). Error 22023 when the item is not a
// map from a u16 netuid to a bool, or the stored bytes are not one.
Bytes commit_reveal_weights_enabled_key(const RuntimeMetadata &metadata, std::uint16_t netuid);
bool commit_reveal_weights_enabled(const RuntimeMetadata &metadata, std::uint16_t netuid,
                                   const std::optional<Bytes> &stored);

// The same for WeightsVersionKey(netuid), a u64.
Bytes weights_version_key_key(const RuntimeMetadata &metadata, std::uint16_t netuid);
std::uint64_t weights_version_key(const RuntimeMetadata &metadata, std::uint16_t netuid,
                                  const std::optional<Bytes> &stored);

} // namespace mycelium::chain
