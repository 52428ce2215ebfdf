// Bittensor's NeuronInfoLite<AccountId32>, a subnet's neuron as the runtime API
// NeuronInfoRuntimeApi_get_neurons_lite returns it, and the decoding of that API's result in
// both of the forms subtensor has answered with. schemas/CHAIN.md, "Metagraph".
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/chain/account_id.hpp"
#include "mycelium/chain/scale_decoder.hpp"
#include "mycelium/chain/u128.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::chain {

// Where a neuron serves (subtensor's AxonInfo). All zero when it never served one.
struct AxonInfo {
  std::uint64_t block = 0; // when it was served
  std::uint32_t version = 0;
  U128 ip; // the address's bytes as one big-endian integer
  std::uint16_t port = 0;
  std::uint8_t ip_type = 0; // 4, 6, or 0 when no axon was served
  std::uint8_t protocol = 0;
  std::uint8_t placeholder1 = 0;
  std::uint8_t placeholder2 = 0;
};

// Where a neuron's Prometheus metrics are (subtensor's PrometheusInfo).
struct PrometheusInfo {
  std::uint64_t block = 0;
  std::uint32_t version = 0;
  U128 ip;
  std::uint16_t port = 0;
  std::uint8_t ip_type = 0;
};

// One entry of a neuron's `stake`: an account and the stake it holds on the neuron, in rao
// (10^-9 of the unit). Current runtimes list one entry, the coldkey with the hotkey's stake on
// the subnet; older ones listed every staking coldkey.
struct StakeEntry {
  AccountId account{};
  std::uint64_t rao = 0;
};

// subtensor's NeuronInfoLite<AccountId32>, field for field, in its declaration (and wire) order.
// The u16 scores are fractions of 65535.
struct NeuronInfoLite {
  AccountId hotkey{};
  AccountId coldkey{};
  std::uint16_t uid = 0;
  std::uint16_t netuid = 0;
  bool active = false;
  AxonInfo axon_info;
  PrometheusInfo prometheus_info;
  std::vector<StakeEntry> stake;
  std::uint16_t rank = 0; // no longer computed: 0 on current runtimes
  std::uint64_t emission = 0;
  std::uint16_t incentive = 0;
  std::uint16_t consensus = 0;
  std::uint16_t trust = 0; // no longer computed: 0 on current runtimes
  std::uint16_t validator_trust = 0;
  std::uint16_t dividends = 0;
  std::uint64_t last_update = 0; // the block of the neuron's last weights
  bool validator_permit = false;
  std::uint16_t pruning_score = 0; // no longer computed: 65535 on current runtimes
};

// The fewest bytes a NeuronInfoLite takes: two account ids, every compact in one byte, the two
// fixed-width structs and an empty stake list.
inline constexpr std::size_t kMinNeuronInfoLiteSize = 143;

// Why subtensor cannot have stored this axon address, or "" when it can. Its serve_axon takes
// ip_type 4 (with an address below 2^32 - 1) or 6; a neuron that never served an axon has the
// default AxonInfo, all zero. So refused: an ip_type other than 0, 4 and 6, ip_type 0 with a
// non-zero address, and ip_type 4 with an address above 32 bits.
std::string axon_address_fault(const U128 &ip, std::uint8_t ip_type);

// Reads one NeuronInfoLite. Besides what SCALE refuses, an axon address that
// axon_address_fault refuses is refused, naming the axon_info field: bytes subtensor never
// writes mean they are not what this decoder thinks they are.
NeuronInfoLite decode_neuron_info_lite(ScaleDecoder &decoder);

// The two result forms of NeuronInfoRuntimeApi_get_neurons_lite.
enum class NeuronsLiteForm {
  // Vec<NeuronInfoLite>: subtensor since its runtime of February 2025.
  current,
  // Vec<u8> holding the SCALE bytes of Vec<NeuronInfoLite>: earlier runtimes (and what Fiber
  // 2.1 decodes).
  wrapped,
};

const char *to_string(NeuronsLiteForm form);

struct NeuronsLite {
  std::vector<NeuronInfoLite> neurons; // in uid order, as the runtime lists them
  NeuronsLiteForm form = NeuronsLiteForm::current;
};

// Decodes a NeuronInfoRuntimeApi_get_neurons_lite result, deciding its form:
// - the current form if the whole result reads as Vec<NeuronInfoLite>, to its last byte;
// - else the wrapped form if it starts with a compact length equal to the number of bytes after
//   it, and those bytes read as Vec<NeuronInfoLite>, to their last byte;
// - else Error 22023 with why each form failed (the field path and offset), the more likely form
//   (by that length test) first.
// Both forms cannot succeed (schemas/CHAIN.md says why); if they did, that too is an error.
// `0x00` is an empty subnet in the current form and `0x0400` one in the wrapped form. A subnet
// that does not exist is empty as well: the runtime answers it the same way. `what` names the
// result in messages.
NeuronsLite decode_neurons_lite(const Bytes &result,
                                std::string_view what = "NeuronInfoRuntimeApi_get_neurons_lite");

} // namespace mycelium::chain
