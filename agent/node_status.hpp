// What /status reports: the NodeStatus of the architecture notes (seed 002), as JSON, and the
// process figures it includes (memory, CPU).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::agent {

// The chain: section in /status: which metagraph this node's stake comes from, and whether the
// chain can be read now (ChainSync::status).
struct ChainStatus {
  using Time = std::chrono::system_clock::time_point;

  std::string url;
  int netuid = 0;
  std::optional<std::uint64_t> block; // of the last metagraph this agent stored; none yet: null
  std::optional<Time> read_at;        // when that metagraph was read from the chain
  std::optional<std::string> problem; // why the chain cannot be read or stored now; null if it can
};

// One elected shard's Raft group in /status (ConsensusHost::status).
struct ConsensusGroupStatus {
  std::string shard;
  std::string role; // leader, follower, candidate, unavailable, failed, stopped
  std::uint64_t term = 0;
  std::string leader;                  // node id; "" when unknown (null in JSON)
  std::int64_t lease_remaining_ms = 0; // 0: no lease
  std::uint64_t epoch_term = 0;        // the latest committed epoch (0: none yet)
  std::string epoch_primary;
  std::int64_t epoch_start_seq = 0;
  std::uint64_t applied_term = 0; // the latest epoch applied to this node's database
  std::string taking_office;      // the take-office phase ("idle", "syncing", ...)
};

struct NodeStatus {
  using Time = std::chrono::system_clock::time_point;

  std::string id;      // node_id
  std::string version; // mycelium::kVersion
  Time start_time{};
  std::optional<Time> last_sync;      // last completed DB sync round; none yet: null
  std::optional<Time> last_heartbeat; // last ping/pong exchanged with any peer; none yet: null
  bool active = false;                // registered and active in node_metadata
  std::string status;                 // "starting", "serving", "degraded", "stopping"
  int peer_count = 0;
  double serving_rate = 0;  // requests answered per second, recent average
  double sync_progress = 0; // 0..1: the fraction of known audit entries applied
  std::chrono::microseconds response_latency{0}; // recent average
  std::uint64_t memory_bytes = 0;                // resident set size
  double cpu_percent = 0;                        // of one core, so up to 100 × cores
  std::optional<ChainStatus> chain;              // none without a chain: section: null
  std::vector<ConsensusGroupStatus> consensus;   // one per elected shard hosted here
};

// One JSON object, keys in the order above: id, version, start_time, last_sync, last_heartbeat,
// active, status, peer_count, serving_rate, sync_progress, response_latency_ms, memory_bytes,
// cpu_percent, chain (null, or {url, netuid, block, read_at, problem}), consensus (an array of
// {shard, role, term, leader, lease, lease_remaining_ms, epoch, applied_term, taking_office}).
// Times are RFC 3339 UTC strings with milliseconds; a number that is not finite is null (JSON has
// no NaN).
std::string to_json(const NodeStatus &status);

// `text` as a JSON string literal, quotes included. Control characters become \uXXXX (or \n,
// \t, ...); bytes >= 0x80 pass through, so UTF-8 text stays readable.
std::string json_string(std::string_view text);

// The process's resident memory in bytes, from /proc/self/statm; 0 if it cannot be read.
std::uint64_t process_rss_bytes();

// CPU used between two samples, as a percentage of one core: `cpu` time over `wall` time.
double cpu_percent(std::chrono::nanoseconds cpu, std::chrono::nanoseconds wall);

// The process's CPU use since the previous call (since construction for the first): call it from
// one place, such as each /status request or a once-a-second timer. Not thread-safe.
class CpuMeter {
public:
  CpuMeter();
  double sample();

private:
  std::chrono::nanoseconds cpu_;
  std::chrono::steady_clock::time_point wall_;
};

// User plus system CPU time this process has used (getrusage).
std::chrono::nanoseconds process_cpu_time();

} // namespace mycelium::agent
