// The agent's chain: section at work: every sync_interval_seconds, the subnet's metagraph read
// from the chain (agent/chain/metagraph.hpp, on a thread of its own, since the RPC client
// blocks) and stored in the database (NodeStore::store_metagraph, replacing the previous set),
// where mycelium.node_stake turns it into the stake of bound nodes (schemas/CHAIN.md, "Stake
// from the chain"). A chain that cannot be read leaves the last stored set in place; both
// failures are logged when they start and when they end.
#pragma once

#include "config.hpp"
#include "failure_episode.hpp"
#include "log.hpp"
#include "node_status.hpp"
#include "node_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mycelium::agent {

class ChainSync {
public:
  ChainSync(AgentConfig::Chain config, NodeStore &store)
      : config_(std::move(config)), store_(store) {}
  ~ChainSync() { stop(); }
  ChainSync(const ChainSync &) = delete;
  ChainSync &operator=(const ChainSync &) = delete;

  // Starts the reading thread (a no-op when the chain: section is absent).
  void start();
  // Stops it, after the read in progress (at most one call's timeout_ms). Before the database's
  // stop: a store queued after it would be dropped anyway.
  void stop();

  // Loop thread: the block of the last metagraph stored (nullopt: none yet; the chain's block 0
  // is a block like any other).
  std::optional<std::uint64_t> stored_block() const { return stored_block_; }
  // Loop thread: for /status; nullopt without a chain: section. The problem is the chain's
  // failing reads (with when they started and how many), else a failing store.
  std::optional<ChainStatus> status() const;

private:
  void run();
  void read_once();
  // The chain thread's read episode as /status words it ("" when the last read succeeded).
  void note_read_problem(std::string problem);

  AgentConfig::Chain config_;
  NodeStore &store_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  FailureEpisode read_failures_; // the chain thread's own
  // Written by the chain thread, read by the loop's status():
  mutable std::mutex read_problem_mutex_;
  std::string read_problem_;
  // Loop thread only:
  RepeatedProblem store_problem_{"cannot store the metagraph (mycelium.store_metagraph)"};
  std::string store_error_; // the last store's error ("" when it succeeded)
  std::optional<std::uint64_t> stored_block_;
  std::optional<ChainStatus::Time> stored_read_at_; // when the stored metagraph was read
  bool stored_logged_ = false;
};

} // namespace mycelium::agent
