// `mycelium chain ...`: the subnet's metagraph read from a chain node, and a node bound to its
// Bittensor hotkey (schemas/CHAIN.md, "Metagraph" and "Hotkey binding").
#include "commands.hpp"
#include "db.hpp"

#include "agent/chain/metagraph.hpp"
#include "agent/chain/rpc_client.hpp"
#include "agent/chain/set_weights.hpp"

#include "mycelium/chain/bittensor_wallet.hpp"
#include "mycelium/chain/ss58.hpp"
#include "mycelium/chain/weight_quantization.hpp"
#include "mycelium/canonical_json.hpp"
#include "mycelium/hex.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace mycelium::cli {

namespace {

std::uint16_t parse_netuid(const std::string &text, const std::string &command) {
  try {
    std::size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value >= 0 && value <= 65535)
      return static_cast<std::uint16_t>(value);
  } catch (const std::exception &) {
  }
  throw UsageError("--netuid must be 0 to 65535, got '" + text + "'", command);
}

// "0,1,2": a comma-separated list, each item parsed by `parse`; UsageError naming the option.
template <class T, class Parse>
std::vector<T> parse_list(const std::string &text, const char *option, const std::string &command,
                          Parse parse) {
  std::vector<T> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    try {
      std::size_t used = 0;
      const T value = parse(item, used);
      if (used != item.size() || item.empty())
        throw std::invalid_argument(item);
      out.push_back(value);
    } catch (const std::exception &) {
      throw UsageError(std::string("--") + option + ": '" + item + "' is not a valid item",
                       command);
    }
    start = comma + 1;
  }
  return out;
}

} // namespace

int run_chain_metagraph(const Options &options) {
  const std::string command(options.command().name);
  const std::uint16_t netuid = parse_netuid(options.get("netuid"), command);
  chain::RpcClient client(options.get("url"));
  const chain::Metagraph graph = chain::read_metagraph(client, netuid);
  if (options.flag("json")) {
    // Fiber's Node fields, one object per neuron.
    std::ostringstream out;
    out.precision(17);
    out << "{\"netuid\":" << graph.netuid << ",\"block\":" << graph.block_number
        << ",\"block_hash\":\"0x" << to_hex(graph.block_hash.data(), graph.block_hash.size())
        << "\",\"nodes\":[";
    bool first = true;
    for (const chain::Neuron &n : graph.neurons) {
      out << (first ? "" : ",") << "{\"hotkey\":" << mycelium::json_string(n.hotkey)
          << ",\"coldkey\":" << mycelium::json_string(n.coldkey) << ",\"node_id\":" << n.node_id
          << ",\"incentive\":" << n.incentive << ",\"netuid\":" << n.netuid
          << ",\"stake\":" << n.stake << ",\"trust\":" << n.trust << ",\"vtrust\":" << n.vtrust
          << ",\"last_updated\":" << n.last_updated << ",\"ip\":" << mycelium::json_string(n.ip)
          << ",\"ip_type\":" << static_cast<int>(n.ip_type) << ",\"port\":" << n.port
          << ",\"protocol\":" << static_cast<int>(n.protocol) << "}";
      first = false;
    }
    out << "]}\n";
    std::cout << out.str();
    return kExitOk;
  }
  std::cout << "subnet " << graph.netuid << " at block " << graph.block_number << ": "
            << graph.neurons.size() << " neurons\n";
  std::cout
      << "uid    stake (TAO)   vtrust  permit  hotkey                                            "
         "axon\n";
  for (const chain::Neuron &n : graph.neurons) {
    char line[128];
    std::snprintf(line, sizeof line, "%-6u %12.4f  %6.4f  %-6s  ", static_cast<unsigned>(n.node_id),
                  n.stake, n.vtrust, n.validator_permit ? "yes" : "no");
    std::cout << line << n.hotkey << "  " << n.ip << ":" << n.port << "\n";
  }
  return kExitOk;
}

// The hotkey of a Bittensor wallet, read and checked (permissions, publicKey against secretSeed).
chain::Hotkey wallet_hotkey(const Options &options) {
  return chain::read_hotkey_file(
      chain::hotkey_file_path(options.get_or("wallet-path", chain::kDefaultWalletsPath),
                              options.get_or("wallet", chain::kDefaultWalletName),
                              options.get_or("hotkey", chain::kDefaultHotkeyName)));
}

int run_chain_set_weights(const Options &options) {
  const std::string command(options.command().name);
  const std::uint16_t netuid = parse_netuid(options.get("netuid"), command);
  const std::vector<std::uint16_t> uids = parse_list<std::uint16_t>(
      options.get("uids"), "uids", command, [](const std::string &item, std::size_t &used) {
        const unsigned long v = std::stoul(item, &used);
        if (v > 65535)
          throw std::out_of_range(item);
        return static_cast<std::uint16_t>(v);
      });
  const std::vector<double> weights = parse_list<double>(
      options.get("weights"), "weights", command,
      [](const std::string &item, std::size_t &used) { return std::stod(item, &used); });
  std::optional<std::uint64_t> version_key;
  if (options.flag("version-key"))
    version_key = parse_list<std::uint64_t>(options.get("version-key"), "version-key", command,
                                            [](const std::string &item, std::size_t &used) {
                                              return std::stoull(item, &used);
                                            })
                      .at(0);
  const std::string wait = options.get_or("wait", "in-block");
  if (wait != "in-block" && wait != "finalized")
    throw UsageError("--wait must be in-block or finalized, got '" + wait + "'", command);
  // Fiber's quantisation: the largest weight becomes 65535, zero weights are left out.
  const chain::QuantizedWeights quantized = chain::quantize_weights(uids, weights);

  const chain::Hotkey hotkey = wallet_hotkey(options);
  const chain::sr25519::SecretKey key =
      chain::sr25519::SecretKey::from_mini_secret(hotkey.secret_seed);
  chain::RpcClient client(options.get("url"));
  const chain::WeightsSubmission done = chain::set_weights(
      client, key, netuid, quantized.uids, quantized.weights, version_key,
      wait == "finalized" ? chain::WaitFor::finalized : chain::WaitFor::in_block);
  std::cout << "set weights of " << quantized.uids.size() << " uids on subnet " << netuid << " as "
            << chain::ss58_encode(hotkey.public_key) << ": extrinsic 0x"
            << to_hex(done.extrinsic_hash.data(), done.extrinsic_hash.size()) << " in block 0x"
            << to_hex(done.block_hash.data(), done.block_hash.size()) << " (nonce " << done.nonce
            << ", version_key " << done.version_key << ")\n";
  return kExitOk;
}

int run_chain_bind_hotkey(const Options &options) {
  const std::string node_id = options.get("node-id");
  const std::string path =
      chain::hotkey_file_path(options.get_or("wallet-path", chain::kDefaultWalletsPath),
                              options.get_or("wallet", chain::kDefaultWalletName),
                              options.get_or("hotkey", chain::kDefaultHotkeyName));
  // Read and checked (permissions, publicKey against secretSeed) before anything is sent.
  const chain::Hotkey hotkey = chain::read_hotkey_file(path);
  const std::string address = chain::ss58_encode(hotkey.public_key);

  Connection db = connect_database(options.get_or("dsn", ""));
  try {
    // The payload comes from the database (it names the node's registered key); it is checked
    // here to be for this node and this hotkey before the hotkey signs it.
    const Result payload = db.exec("SELECT encode(mycelium.hotkey_binding_payload($1, $2), 'hex')",
                                   {node_id, address});
    const std::string payload_hex = payload.text(0, 0);
    const Bytes bytes = from_hex(payload_hex, payload_hex.size() / 2, "hotkey_binding_payload");
    if (bytes.size() < 64 ||
        !std::equal(hotkey.public_key.begin(), hotkey.public_key.end(), bytes.end() - 32))
      throw Failure("the database's binding payload does not end with the hotkey's public key");
    const chain::sr25519::SecretKey key =
        chain::sr25519::SecretKey::from_mini_secret(hotkey.secret_seed);
    const chain::sr25519::Signature signature = key.sign(bytes);
    db.exec("SELECT mycelium.bind_hotkey($1, $2, $3)",
            {node_id, address, to_hex(signature.data(), signature.size())});
  } catch (const pgclient::Error &e) {
    throw Failure(e.describe("binding"));
  }
  std::cout << "bound node " << node_id << " to hotkey " << address << "\n";
  return kExitOk;
}

} // namespace mycelium::cli
