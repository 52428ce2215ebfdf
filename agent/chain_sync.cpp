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

std::optional<ChainStatus> ChainSync::status() const {
  if (!config_.enabled)
    return std::nullopt;
  ChainStatus s;
  s.url = config_.url;
  s.netuid = config_.netuid;
  s.block = stored_block_;
  s.read_at = stored_read_at_;
  {
    std::lock_guard<std::mutex> lock(read_problem_mutex_);
    if (!read_problem_.empty())
      s.problem = read_problem_;
  }
  if (!s.problem && !store_error_.empty())
    s.problem = "cannot store the metagraph (mycelium.store_metagraph): " + store_error_;
  return s;
}

void ChainSync::note_read_problem(std::string problem) {
  std::lock_guard<std::mutex> lock(read_problem_mutex_);
  read_problem_ = std::move(problem);
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
    const long long failures = read_failures_.failures();
    note_read_problem("cannot read subnet " + std::to_string(config_.netuid) +
                      " from the chain: " + read_failures_.last_detail() + " (since " +
                      format_timestamp(ChainStatus::Time(
                          std::chrono::milliseconds(read_failures_.started_ms()))) +
                      ", " + std::to_string(failures) + " failed read" +
                      (failures == 1 ? "" : "s") + ")");
    return;
  }
  const auto read_at = std::chrono::system_clock::now();
  if (const long long failures = read_failures_.succeeded())
    log_info("the chain answers again after " + std::to_string(failures) + " failed read" +
             (failures == 1 ? "" : "s"));
  note_read_problem("");
  const std::uint64_t block = metagraph.block_number;
  const std::size_t count = metagraph.neurons.size();
  store_.store_metagraph(
      config_.netuid, block,
      "0x" + to_hex(metagraph.block_hash.data(), metagraph.block_hash.size()),
      neurons_json(metagraph),
      [this, block, count, read_at](const std::optional<std::string> &error, long long) {
        if (error) {
          if (!NodeStore::is_unreachable(*error))
            store_problem_.failed(*error);
          store_error_ = *error;
          return;
        }
        store_problem_.succeeded();
        store_error_.clear();
        stored_block_ = block;
        stored_read_at_ = read_at;
        const std::string line = "stored the metagraph of subnet " +
                                 std::to_string(config_.netuid) + ": " + std::to_string(count) +
                                 " neurons at block " + std::to_string(block);
        // The first store is news; the later ones, every interval, are not.
        if (!stored_logged_)
          log_info(line);
        else
          log_debug(line);
        stored_logged_ = true;
      });
}

} // namespace mycelium::agent
