#include "agent/chain/metagraph.hpp"

#include "mycelium/chain/scale_encoder.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <string>

namespace mycelium::chain {

Metagraph read_metagraph(RpcClient &client, std::uint16_t netuid, const std::optional<Bytes> &at) {
  const std::string &url = client.url().text;
  Metagraph metagraph;
  metagraph.netuid = netuid;
  if (at) {
    metagraph.block_hash = *at;
  } else {
    // Without a number the node always answers its best block's hash; null would be a node
    // without blocks.
    std::optional<Bytes> best = client.chain_get_block_hash();
    if (!best)
      throw ChainBadResponse("chain_getBlockHash on " + url + ": no best block (null)");
    metagraph.block_hash = std::move(*best);
  }
  const std::string block_hex = "0x" + to_hex(metagraph.block_hash);
  const std::optional<BlockHeader> header = client.chain_get_header(metagraph.block_hash);
  if (!header)
    throw ChainError("chain_getHeader on " + url + ": the node has no block " + block_hex);
  metagraph.block_number = header->number;

  // The API's one argument: the netuid, a u16 (subtensor's NetUid).
  Bytes params;
  ScaleEncoder(params).u16(netuid);
  const Bytes result = client.state_call(kNeuronsLiteMethod, params, metagraph.block_hash);

  const std::string context = std::string("state_call ") + kNeuronsLiteMethod + " on " + url;
  const std::string subject = "netuid " + std::to_string(netuid) + " at block " +
                              std::to_string(metagraph.block_number) + " (" + block_hex + ")";
  try {
    NeuronsLite decoded = decode_neurons_lite(result, subject);
    metagraph.form = decoded.form;
    metagraph.neurons.reserve(decoded.neurons.size());
    for (std::size_t i = 0; i < decoded.neurons.size(); ++i) {
      const NeuronInfoLite &info = decoded.neurons[i];
      // The runtime lists the subnet it was asked for: another netuid means the answer is not
      // this subnet's.
      if (info.netuid != netuid)
        throw ChainBadResponse(context + ": " + subject + ": neurons[" + std::to_string(i) +
                               "].netuid is " + std::to_string(info.netuid) +
                               ", not the subnet asked for");
      metagraph.neurons.push_back(to_neuron(info));
    }
  } catch (const Error &e) {
    throw ChainBadResponse(context + ": " + e.what());
  }
  return metagraph;
}

} // namespace mycelium::chain
