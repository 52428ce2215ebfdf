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
#include "node_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
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

  // Loop thread: the block of the last metagraph stored (0: none yet).
  std::uint64_t stored_block() const { return stored_block_; }

private:
  void run();
  void read_once();

  AgentConfig::Chain config_;
  NodeStore &store_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  FailureEpisode read_failures_; // the chain thread's own
  // Loop thread only:
  RepeatedProblem store_problem_{"cannot store the metagraph (mycelium.store_metagraph)"};
  std::uint64_t stored_block_ = 0;
  bool stored_logged_ = false;
};

} // namespace mycelium::agent
