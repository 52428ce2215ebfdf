#include "mycelium/chain/subtensor_weights.hpp"

#include "mycelium/chain/scale_decoder.hpp"
#include "mycelium/chain/scale_encoder.hpp"
#include "mycelium/error.hpp"

#include <set>
#include <string>

namespace mycelium::chain {

namespace {

constexpr std::string_view kSetWeights = "set_weights";
constexpr std::string_view kCommitRevealWeightsEnabled = "CommitRevealWeightsEnabled";
constexpr std::string_view kWeightsVersionKey = "WeightsVersionKey";

[[noreturn]] void refuse(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, what);
}

// The argument shapes set_weights must have, in order.
enum class Shape { u16, vec_u16, u64 };

bool has_shape(const PortableRegistry &types, std::uint32_t type, Shape shape) {
  switch (shape) {
  case Shape::u16:
    return types.primitive_of(type) == Primitive::u16;
  case Shape::u64:
    return types.primitive_of(type) == Primitive::u64;
  case Shape::vec_u16: {
    const auto element = types.sequence_element(type);
    return element && types.primitive_of(*element) == Primitive::u16;
  }
  }
  return false;
}

void check_arguments(const RuntimeMetadata &metadata, const PalletCall &call) {
  struct Expected {
    const char *name;
    Shape shape;
    const char *shape_text;
  };
  static constexpr Expected kExpected[] = {{"netuid", Shape::u16, "u16"},
                                           {"dests", Shape::vec_u16, "Vec<u16>"},
                                           {"weights", Shape::vec_u16, "Vec<u16>"},
                                           {"version_key", Shape::u64, "u64"}};
  const std::string full = call.pallet + "." + call.name;
  std::string declared;
  for (const CallArgument &argument : call.arguments)
    declared += (declared.empty() ? "" : ", ") + argument.name + ": " +
                metadata.types().describe(argument.type);
  if (call.arguments.size() != std::size(kExpected))
    refuse("metadata: " + full + " takes (" + declared + "), not (netuid, dests, weights, " +
           "version_key): a runtime Mycelium does not know how to call");
  for (std::size_t i = 0; i < std::size(kExpected); ++i) {
    const CallArgument &argument = call.arguments[i];
    if (argument.name != kExpected[i].name ||
        !has_shape(metadata.types(), argument.type, kExpected[i].shape))
      refuse("metadata: " + full + " argument " + std::to_string(i + 1) + " is " + argument.name +
             ": " + metadata.types().describe(argument.type) + ", expected " + kExpected[i].name +
             ": " + kExpected[i].shape_text + " (declared: " + declared + ")");
  }
}

// A SubtensorModule map keyed by netuid, checked against the metadata.
RuntimeMetadata::StorageItem subnet_item(const RuntimeMetadata &metadata, std::string_view name,
                                         Primitive value) {
  RuntimeMetadata::StorageItem item = metadata.storage_item(kSubtensorPallet, name);
  const StorageEntry &entry = item.entry;
  const PortableRegistry &types = metadata.types();
  const std::string full = std::string(kSubtensorPallet) + "." + entry.name;
  if (!entry.is_map || entry.hashers.size() != 1 ||
      types.primitive_of(entry.key_type) != Primitive::u16)
    refuse("metadata: storage item " + full + " is not a map keyed by a u16 netuid" +
           (entry.is_map ? " (its key is " + types.describe(entry.key_type) + ")" : ""));
  if (types.primitive_of(entry.value_type) != value)
    refuse("metadata: storage item " + full + " holds " + types.describe(entry.value_type) +
           ", expected " + primitive_name(value));
  return item;
}

Bytes subnet_item_key(const RuntimeMetadata::StorageItem &item, std::uint16_t netuid) {
  Bytes encoded;
  ScaleEncoder(encoded).u16(netuid);
  return storage_map_key(item.pallet_prefix, item.entry.name, item.entry.hashers, {encoded});
}

std::string item_text(const RuntimeMetadata::StorageItem &item, std::uint16_t netuid) {
  return std::string(kSubtensorPallet) + "." + item.entry.name + "(" + std::to_string(netuid) + ")";
}

// The bytes to decode: the stored value, or the default a ValueQuery item reads as.
Bytes value_or_default(const RuntimeMetadata::StorageItem &item, std::uint16_t netuid,
                       const std::optional<Bytes> &stored) {
  if (stored)
    return *stored;
  if (item.entry.modifier == StorageModifier::default_value)
    return item.entry.default_value;
  refuse(item_text(item, netuid) + " has no value on the chain");
}

} // namespace

void check_set_weights(const SetWeights &call) {
  if (call.dests.size() != call.weights.size())
    refuse("set_weights: " + std::to_string(call.dests.size()) + " dests but " +
           std::to_string(call.weights.size()) + " weights; there must be one weight per uid");
  std::set<std::uint16_t> seen;
  for (std::uint16_t uid : call.dests)
    if (!seen.insert(uid).second)
      refuse("set_weights: dests has uid " + std::to_string(uid) +
             " more than once; the chain rejects duplicate uids");
}

Bytes encode_set_weights_call(const RuntimeMetadata &metadata, const SetWeights &call) {
  check_set_weights(call);
  const PalletCall set_weights = metadata.call(kSubtensorPallet, kSetWeights);
  check_arguments(metadata, set_weights);
  Bytes bytes;
  ScaleEncoder out(bytes);
  out.u8(set_weights.pallet_index);
  out.u8(set_weights.call_index);
  out.u16(call.netuid);
  const auto u16_item = [](ScaleEncoder &e, std::uint16_t value) { e.u16(value); };
  out.vec(call.dests, u16_item);
  out.vec(call.weights, u16_item);
  out.u64(call.version_key);
  return bytes;
}

Bytes commit_reveal_weights_enabled_key(const RuntimeMetadata &metadata, std::uint16_t netuid) {
  return subnet_item_key(subnet_item(metadata, kCommitRevealWeightsEnabled, Primitive::boolean),
                         netuid);
}

bool commit_reveal_weights_enabled(const RuntimeMetadata &metadata, std::uint16_t netuid,
                                   const std::optional<Bytes> &stored) {
  const auto item = subnet_item(metadata, kCommitRevealWeightsEnabled, Primitive::boolean);
  const Bytes value = value_or_default(item, netuid, stored);
  ScaleDecoder d(value, item_text(item, netuid));
  const bool enabled = d.boolean();
  d.expect_end();
  return enabled;
}

Bytes weights_version_key_key(const RuntimeMetadata &metadata, std::uint16_t netuid) {
  return subnet_item_key(subnet_item(metadata, kWeightsVersionKey, Primitive::u64), netuid);
}

std::uint64_t weights_version_key(const RuntimeMetadata &metadata, std::uint16_t netuid,
                                  const std::optional<Bytes> &stored) {
  const auto item = subnet_item(metadata, kWeightsVersionKey, Primitive::u64);
  const Bytes value = value_or_default(item, netuid, stored);
  ScaleDecoder d(value, item_text(item, netuid));
  const std::uint64_t key = d.u64();
  d.expect_end();
  return key;
}

} // namespace mycelium::chain
