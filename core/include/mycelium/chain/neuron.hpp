// A subnet's neuron with the fields of Fiber's Node (rayonlabs/fiber 2.1, fiber/chain/models.py,
// filled in fiber/chain/fetch_nodes.py), computed as Fiber computes them, plus what Mycelium
// keeps besides. schemas/CHAIN.md, "Metagraph", lists where it differs from Fiber.
#pragma once

#include "mycelium/chain/neuron_info.hpp"
#include "mycelium/chain/u128.hpp"

#include <cstdint>
#include <string>

namespace mycelium::chain {

struct Neuron {
  // Fiber's Node, in its field order.
  std::string hotkey;          // SS58, prefix 42
  std::string coldkey;         // SS58, prefix 42
  std::uint16_t node_id = 0;   // the uid
  std::uint16_t incentive = 0; // the raw u16, as Fiber has it: not divided by 65535
  std::uint16_t netuid = 0;
  double stake = 0;               // Σ stake / 1e9 (TAO; the subnet's alpha on current runtimes)
  double trust = 0;               // trust / 65535
  double vtrust = 0;              // validator_trust / 65535
  std::uint64_t last_updated = 0; // last_update: the block of the neuron's last weights
  std::string ip;                 // the axon's address as text (axon_ip_text)
  std::uint8_t ip_type = 0;       // 4, 6, or 0 when no axon was served
  std::uint16_t port = 0;
  std::uint8_t protocol = 0;

  // Not in Fiber's Node.
  U128 stake_rao; // the exact Σ, in rao
  bool validator_permit = false;
  bool active = false;
  NeuronInfoLite info; // every field as the chain gave it
};

Neuron to_neuron(const NeuronInfoLite &info);

// An axon's address as text: for ip_type 4, dotted decimal ("10.0.0.1"); for 6, RFC 5952 text
// as glibc's inet_ntop writes it ("2001:db8::1", "::ffff:1.2.3.4"); for 0 (no axon served, the
// address is then 0), "0.0.0.0", what Fiber shows. Throws Error 22023 for what
// axon_address_fault refuses (decode_neuron_info_lite has refused it already).
std::string axon_ip_text(const U128 &ip, std::uint8_t ip_type);

} // namespace mycelium::chain
