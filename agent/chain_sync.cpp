#include "chain_sync.hpp"

#include "agent/chain/metagraph.hpp"
#include "agent/chain/rpc_client.hpp"

#include "mycelium/canonical_json.hpp"
#include "mycelium/hex.hpp"

#include <chrono>
#include <memory>
#include <sstream>

namespace mycelium::agent {

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The array mycelium.store_metagraph takes: the columns of mycelium.chain_neurons.
std::string neurons_json(const chain::Metagraph &metagraph) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(17);
  out << '[';
  bool first = true;
  for (const chain::Neuron &n : metagraph.neurons) {
    out << (first ? "" : ",") << "{\"uid\":" << n.node_id
        << ",\"hotkey\":" << mycelium::json_string(n.hotkey)
        << ",\"coldkey\":" << mycelium::json_string(n.coldkey) << ",\"stake_rao\":\""
        << chain::to_string(n.stake_rao) << "\",\"active\":" << (n.active ? "true" : "false")
        << ",\"validator_permit\":" << (n.validator_permit ? "true" : "false")
        << ",\"incentive\":" << n.incentive << ",\"trust\":" << n.trust
        << ",\"vtrust\":" << n.vtrust << ",\"last_update\":" << n.last_updated
        << ",\"ip\":" << mycelium::json_string(n.ip)
        << ",\"ip_type\":" << static_cast<int>(n.ip_type) << ",\"port\":" << n.port
        << ",\"protocol\":" << static_cast<int>(n.protocol) << '}';
    first = false;
  }
  out << ']';
  return out.str();
}

} // namespace

void ChainSync::start() {
  if (!config_.enabled || thread_.joinable())
    return;
  thread_ = std::thread([this] { run(); });
}

void ChainSync::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void ChainSync::run() {
  for (;;) {
    read_once();
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::seconds(config_.sync_interval_seconds),
                       [this] { return stopping_; }))
      return;
  }
}

// One read on the chain thread; the store's result comes back on the loop thread.
void ChainSync::read_once() {
  chain::Metagraph metagraph;
  try {
    chain::RpcClientOptions options;
    options.call_timeout = std::chrono::milliseconds(config_.timeout_ms);
    // A client per read: the interval is long, and a fresh connection is the simplest state.
    chain::RpcClient client(config_.url, options);
    metagraph = chain::read_metagraph(client, static_cast<std::uint16_t>(config_.netuid));
  } catch (const std::exception &e) {
    if (read_failures_.failed(e.what(), wall_ms()) != FailureEpisode::News::none)
      log_warn(std::string("cannot read subnet ") + std::to_string(config_.netuid) +
               " from the chain: " + e.what() +
               " (keeping the last metagraph stored; retrying every " +
               std::to_string(config_.sync_interval_seconds) + " s)");
    return;
  }
  if (const long long failures = read_failures_.succeeded())
    log_info("the chain answers again after " + std::to_string(failures) + " failed read" +
             (failures == 1 ? "" : "s"));
  const std::uint64_t block = metagraph.block_number;
  const std::size_t count = metagraph.neurons.size();
  store_.store_metagraph(config_.netuid, block,
                         "0x" + to_hex(metagraph.block_hash.data(), metagraph.block_hash.size()),
                         neurons_json(metagraph),
                         [this, block, count](const std::optional<std::string> &error, long long) {
                           if (error) {
                             if (!NodeStore::is_unreachable(*error))
                               store_problem_.failed(*error);
                             return;
                           }
                           store_problem_.succeeded();
                           stored_block_ = block;
                           const std::string line = "stored the metagraph of subnet " +
                                                    std::to_string(config_.netuid) + ": " +
                                                    std::to_string(count) + " neurons at block " +
                                                    std::to_string(block);
                           // The first store is news; the later ones, every interval, are not.
                           if (!stored_logged_)
                             log_info(line);
                           else
                             log_debug(line);
                           stored_logged_ = true;
                         });
}

} // namespace mycelium::agent
