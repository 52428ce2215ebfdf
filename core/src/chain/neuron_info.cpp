#include "mycelium/chain/neuron_info.hpp"

#include "mycelium/error.hpp"

#include <optional>
#include <string>

namespace mycelium::chain {

namespace {

// AxonInfo and PrometheusInfo are plain structs in subtensor: fixed-width fields, no compacts.
AxonInfo decode_axon_info(ScaleDecoder &d) {
  AxonInfo axon;
  axon.block = d.u64("block");
  axon.version = d.u32("version");
  axon.ip = d.u128("ip");
  axon.port = d.u16("port");
  axon.ip_type = d.u8("ip_type");
  if (const std::string fault = axon_address_fault(axon.ip, axon.ip_type); !fault.empty())
    d.fail_at({}, fault);
  axon.protocol = d.u8("protocol");
  axon.placeholder1 = d.u8("placeholder1");
  axon.placeholder2 = d.u8("placeholder2");
  return axon;
}

// Not checked like the axon's: Mycelium reads nothing of it but keeps it as it came.
PrometheusInfo decode_prometheus_info(ScaleDecoder &d) {
  PrometheusInfo prometheus;
  prometheus.block = d.u64("block");
  prometheus.version = d.u32("version");
  prometheus.ip = d.u128("ip");
  prometheus.port = d.u16("port");
  prometheus.ip_type = d.u8("ip_type");
  return prometheus;
}

// (AccountId32, Compact<u64>)
StakeEntry decode_stake_entry(ScaleDecoder &d) {
  StakeEntry entry;
  entry.account = d.account_id("account");
  entry.rao = d.compact_as<std::uint64_t>("rao");
  return entry;
}

// Vec<NeuronInfoLite> to the decoder's last byte.
std::vector<NeuronInfoLite> decode_neuron_list(ScaleDecoder &d) {
  auto neurons = d.vec("neurons", decode_neuron_info_lite, kMinNeuronInfoLiteSize);
  d.expect_end();
  return neurons;
}

// One reading of the result: the neurons, or why it failed.
struct Reading {
  std::optional<std::vector<NeuronInfoLite>> neurons;
  std::string failure;
};

std::string bytes_count(const U128 &count) {
  return to_string(count) + (count == U128(1) ? " byte" : " bytes");
}

Reading read_current(const Bytes &result) {
  try {
    ScaleDecoder d(result, "as Vec<NeuronInfoLite>");
    return {decode_neuron_list(d), {}};
  } catch (const Error &e) {
    return {std::nullopt, e.what()};
  }
}

// `shaped` says whether the result starts with a compact length equal to the bytes after it:
// the mark of the wrapped form, whatever its content.
Reading read_wrapped(const Bytes &result, bool &shaped) {
  const std::string label = "as Vec<u8> wrapping Vec<NeuronInfoLite>";
  shaped = false;
  try {
    ScaleDecoder outer(result, label);
    const U128 length = outer.compact("length");
    if (length != U128(outer.remaining()))
      return {std::nullopt, label + ": its length prefix says " + bytes_count(length) + ", but " +
                                bytes_count(outer.remaining()) + " follow"};
    shaped = true;
    const std::size_t start = outer.offset();
    ScaleDecoder inner(result.data() + start, outer.remaining(),
                       label + " (offsets within the wrapped bytes, which start at byte " +
                           std::to_string(start) + ")");
    return {decode_neuron_list(inner), {}};
  } catch (const Error &e) {
    return {std::nullopt, e.what()};
  }
}

} // namespace

std::string axon_address_fault(const U128 &ip, std::uint8_t ip_type) {
  switch (ip_type) {
  case 0:
    return ip == U128(0) ? "" : "ip_type 0 (no axon served) with a non-zero ip " + to_string(ip);
  case 4:
    return ip <= U128(0xffffffffu)
               ? ""
               : "ip_type 4 with an address of more than 32 bits: " + to_string(ip);
  case 6:
    return "";
  default:
    return "ip_type " + std::to_string(ip_type) +
           " is neither 4 (IPv4), 6 (IPv6) nor 0 (no axon served)";
  }
}

NeuronInfoLite decode_neuron_info_lite(ScaleDecoder &d) {
  NeuronInfoLite n;
  n.hotkey = d.account_id("hotkey");
  n.coldkey = d.account_id("coldkey");
  n.uid = d.compact_as<std::uint16_t>("uid");
  n.netuid = d.compact_as<std::uint16_t>("netuid");
  n.active = d.boolean("active");
  n.axon_info = d.nested("axon_info", decode_axon_info);
  n.prometheus_info = d.nested("prometheus_info", decode_prometheus_info);
  n.stake = d.vec("stake", decode_stake_entry, kAccountIdSize + 1);
  n.rank = d.compact_as<std::uint16_t>("rank");
  n.emission = d.compact_as<std::uint64_t>("emission");
  n.incentive = d.compact_as<std::uint16_t>("incentive");
  n.consensus = d.compact_as<std::uint16_t>("consensus");
  n.trust = d.compact_as<std::uint16_t>("trust");
  n.validator_trust = d.compact_as<std::uint16_t>("validator_trust");
  n.dividends = d.compact_as<std::uint16_t>("dividends");
  n.last_update = d.compact_as<std::uint64_t>("last_update");
  n.validator_permit = d.boolean("validator_permit");
  n.pruning_score = d.compact_as<std::uint16_t>("pruning_score");
  return n;
}

const char *to_string(NeuronsLiteForm form) {
  switch (form) {
  case NeuronsLiteForm::current:
    return "Vec<NeuronInfoLite>";
  case NeuronsLiteForm::wrapped:
    return "Vec<u8> wrapping Vec<NeuronInfoLite>";
  }
  return "?";
}

NeuronsLite decode_neurons_lite(const Bytes &result, std::string_view what) {
  const std::string name(what);
  Reading current = read_current(result);
  bool shaped = false;
  Reading wrapped = read_wrapped(result, shaped);
  if (current.neurons && wrapped.neurons)
    throw Error(
        sqlstate::kInvalidParameterValue,
        name + ": reads both as Vec<NeuronInfoLite> (" + std::to_string(current.neurons->size()) +
            " neurons) and as Vec<u8> wrapping Vec<NeuronInfoLite> (" +
            std::to_string(wrapped.neurons->size()) + " neurons): refused rather than guessed");
  if (current.neurons)
    return {std::move(*current.neurons), NeuronsLiteForm::current};
  if (wrapped.neurons)
    return {std::move(*wrapped.neurons), NeuronsLiteForm::wrapped};
  // A result whose length prefix matches its size is most likely wrapped: say why that failed
  // first.
  throw Error(sqlstate::kInvalidParameterValue,
              name + ": the result is neither of its forms: " +
                  (shaped ? wrapped.failure + "; " + current.failure
                          : current.failure + "; " + wrapped.failure));
}

} // namespace mycelium::chain
