#include "node_status.hpp"

#include "mycelium/canonical_json.hpp"

#include "log.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

namespace mycelium::agent {

namespace {

std::string json_number(double value) {
  if (!std::isfinite(value))
    return "null";
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

std::string json_time(const std::optional<NodeStatus::Time> &when) {
  return when ? json_string(format_timestamp(*when)) : "null";
}

std::string json_chain(const std::optional<ChainStatus> &chain) {
  if (!chain)
    return "null";
  return "{\"url\":" + json_string(chain->url) + ",\"netuid\":" + std::to_string(chain->netuid) +
         ",\"block\":" + (chain->block ? std::to_string(*chain->block) : "null") +
         ",\"read_at\":" + json_time(chain->read_at) +
         ",\"problem\":" + (chain->problem ? json_string(*chain->problem) : "null") + "}";
}

} // namespace

std::string json_string(std::string_view text) {
  return mycelium::json_string(text);
}

static std::string json_consensus(const std::vector<ConsensusGroupStatus> &groups) {
  std::string out = "[";
  for (const ConsensusGroupStatus &g : groups) {
    out += std::string(out.size() > 1 ? "," : "") + "{\"shard\":" + json_string(g.shard) +
           ",\"role\":" + json_string(g.role) + ",\"term\":" + std::to_string(g.term) +
           ",\"leader\":" + (g.leader.empty() ? "null" : json_string(g.leader)) +
           ",\"lease\":" + (g.lease_remaining_ms > 0 ? "true" : "false") +
           ",\"lease_remaining_ms\":" + std::to_string(g.lease_remaining_ms) + ",\"epoch\":" +
           (g.epoch_term == 0 ? std::string("null")
                              : "{\"term\":" + std::to_string(g.epoch_term) +
                                    ",\"primary\":" + json_string(g.epoch_primary) +
                                    ",\"start_seq\":" + std::to_string(g.epoch_start_seq) + "}") +
           ",\"applied_term\":" + std::to_string(g.applied_term) +
           ",\"taking_office\":" + json_string(g.taking_office) + "}";
  }
  return out + "]";
}

std::string to_json(const NodeStatus &s) {
  const double latency_ms = static_cast<double>(s.response_latency.count()) / 1000.0;
  return "{\"id\":" + json_string(s.id) + ",\"version\":" + json_string(s.version) +
         ",\"start_time\":" + json_time(s.start_time) + ",\"last_sync\":" + json_time(s.last_sync) +
         ",\"last_heartbeat\":" + json_time(s.last_heartbeat) +
         ",\"active\":" + (s.active ? "true" : "false") + ",\"status\":" + json_string(s.status) +
         ",\"peer_count\":" + std::to_string(s.peer_count) +
         ",\"serving_rate\":" + json_number(s.serving_rate) +
         ",\"sync_progress\":" + json_number(s.sync_progress) +
         ",\"response_latency_ms\":" + json_number(latency_ms) +
         ",\"memory_bytes\":" + std::to_string(s.memory_bytes) +
         ",\"cpu_percent\":" + json_number(s.cpu_percent) + ",\"chain\":" + json_chain(s.chain) +
         ",\"consensus\":" + json_consensus(s.consensus) + "}";
}

std::uint64_t process_rss_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  FILE *f = std::fopen("/proc/self/statm", "re");
  if (!f)
    return 0;
  unsigned long long size = 0, resident = 0;
  const int read = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (read != 2 || page <= 0)
    return 0;
  return resident * static_cast<unsigned long long>(page);
}

double cpu_percent(std::chrono::nanoseconds cpu, std::chrono::nanoseconds wall) {
  if (wall.count() <= 0 || cpu.count() < 0)
    return 0;
  return 100.0 * static_cast<double>(cpu.count()) / static_cast<double>(wall.count());
}

std::chrono::nanoseconds process_cpu_time() {
  using namespace std::chrono;
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0)
    return nanoseconds(0);
  auto from = [](const timeval &tv) { return seconds(tv.tv_sec) + microseconds(tv.tv_usec); };
  return duration_cast<nanoseconds>(from(usage.ru_utime) + from(usage.ru_stime));
}

CpuMeter::CpuMeter() : cpu_(process_cpu_time()), wall_(std::chrono::steady_clock::now()) {}

double CpuMeter::sample() {
  const auto cpu = process_cpu_time();
  const auto wall = std::chrono::steady_clock::now();
  const double percent = cpu_percent(cpu - cpu_, wall - wall_);
  cpu_ = cpu;
  wall_ = wall;
  return percent;
}

} // namespace mycelium::agent
