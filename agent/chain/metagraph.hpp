// A subnet's metagraph read from a node: its neurons, all from one block, through the runtime
// API NeuronInfoRuntimeApi_get_neurons_lite. The decoding is core's (neuron_info.hpp,
// neuron.hpp); this is the fetch. agent/chain/README.md, "Metagraph"; schemas/CHAIN.md,
// "Metagraph".
#pragma once

#include "agent/chain/rpc_client.hpp"
#include "mycelium/chain/neuron.hpp"
#include "mycelium/chain/neuron_info.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace mycelium::chain {

inline constexpr const char *kNeuronsLiteMethod = "NeuronInfoRuntimeApi_get_neurons_lite";

struct Metagraph {
  std::uint16_t netuid = 0;
  // The block the neurons were read at.
  std::uint64_t block_number = 0;
  Bytes block_hash; // 32 bytes
  // How the runtime answered (the older runtimes wrap the list in a Vec<u8>).
  NeuronsLiteForm form = NeuronsLiteForm::current;
  std::vector<Neuron> neurons; // in uid order; empty for an empty or absent subnet
};

// Reads subnet `netuid` at block `at`, or at the node's best block when none: its hash is read
// first (chain_getBlockHash), then its header (chain_getHeader, for the number), then the
// neurons (state_call at that hash), so that everything comes from the one block even while
// the chain moves on.
//
// Throws what RpcClient's calls throw (each naming its method and the URL), ChainError when the
// node has no block `at`, and ChainBadResponse, naming "state_call
// NeuronInfoRuntimeApi_get_neurons_lite on <url>", the netuid and block, and the field, when the
// answer is neither result form or lists a neuron of another subnet. A runtime without the API
// answers a JSON-RPC error: ChainRpcError.
Metagraph read_metagraph(RpcClient &client, std::uint16_t netuid,
                         const std::optional<Bytes> &at = std::nullopt);

} // namespace mycelium::chain
