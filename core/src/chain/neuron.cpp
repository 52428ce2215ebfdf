#include "mycelium/chain/neuron.hpp"

#include "mycelium/chain/ss58.hpp"
#include "mycelium/error.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>

namespace mycelium::chain {

namespace {

constexpr double kU16Max = 65535.0;
constexpr double kRaoPerUnit = 1e9;

// a + b, exact: a u128 sum of u64 amounts cannot overflow before 2^64 of them.
U128 add(const U128 &a, std::uint64_t b) {
  const std::uint64_t low = a.low + b;
  return U128::from_halves(a.high + (low < b ? 1 : 0), low);
}

// The nearest double to the u128 (up to two roundings when above 2^64, where a stake never is).
double to_double(const U128 &value) {
  return static_cast<double>(value.high) * 18446744073709551616.0 + static_cast<double>(value.low);
}

std::string dotted_quad(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

} // namespace

std::string axon_ip_text(const U128 &ip, std::uint8_t ip_type) {
  if (const std::string fault = axon_address_fault(ip, ip_type); !fault.empty())
    throw Error(sqlstate::kInvalidParameterValue, "axon address: " + fault);
  if (ip_type != 6)
    return dotted_quad(static_cast<std::uint32_t>(ip.low)); // 4, or 0 with the address 0
  // The integer is the address's 16 bytes read big-endian (network order).
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(ip.high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(ip.low >> (56 - 8 * i));
  }
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(AF_INET6, bytes.data(), text, sizeof text) == nullptr)
    throw Error(sqlstate::kInternalError, "inet_ntop failed on an IPv6 address");
  return text;
}

Neuron to_neuron(const NeuronInfoLite &info) {
  Neuron n;
  n.hotkey = ss58_encode(info.hotkey, kBittensorSs58Prefix);
  n.coldkey = ss58_encode(info.coldkey, kBittensorSs58Prefix);
  n.node_id = info.uid;
  n.incentive = info.incentive;
  n.netuid = info.netuid;
  for (const StakeEntry &entry : info.stake)
    n.stake_rao = add(n.stake_rao, entry.rao);
  n.stake = to_double(n.stake_rao) / kRaoPerUnit;
  n.trust = info.trust / kU16Max;
  n.vtrust = info.validator_trust / kU16Max;
  n.last_updated = info.last_update;
  n.ip = axon_ip_text(info.axon_info.ip, info.axon_info.ip_type);
  n.ip_type = info.axon_info.ip_type;
  n.port = info.axon_info.port;
  n.protocol = info.axon_info.protocol;
  n.validator_permit = info.validator_permit;
  n.active = info.active;
  n.info = info;
  return n;
}

} // namespace mycelium::chain
