// /status: NodeStatus (seed 002) as JSON, and the process figures in it.
#include "agent/node_status.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

namespace {

using namespace mycelium::agent;
using namespace std::chrono;

TEST(NodeStatus, Json) {
  NodeStatus s;
  s.id = "validator-1";
  s.version = "0.1.0";
  s.start_time = system_clock::time_point(seconds(1795316645)) + milliseconds(123);
  s.last_heartbeat = s.start_time + seconds(5);
  s.active = true;
  s.status = "serving";
  s.peer_count = 4;
  s.serving_rate = 12.5;
  s.sync_progress = 1;
  s.response_latency = microseconds(1500);
  s.memory_bytes = 10485760;
  s.cpu_percent = 3.25;
  EXPECT_EQ(to_json(s), "{\"id\":\"validator-1\",\"version\":\"0.1.0\","
                        "\"start_time\":\"2026-11-22T03:04:05.123Z\",\"last_sync\":null,"
                        "\"last_heartbeat\":\"2026-11-22T03:04:10.123Z\",\"active\":true,"
                        "\"status\":\"serving\",\"peer_count\":4,\"serving_rate\":12.5,"
                        "\"sync_progress\":1,\"response_latency_ms\":1.5,"
                        "\"memory_bytes\":10485760,\"cpu_percent\":3.25,\"chain\":null,"
                        "\"consensus\":[]}");
}

// Elected shards' groups: one object each; no leader known and no epoch yet are null.
TEST(NodeStatus, ConsensusJson) {
  NodeStatus s;
  ConsensusGroupStatus leading;
  leading.shard = "s1";
  leading.role = "leader";
  leading.term = 7;
  leading.leader = "node-1";
  leading.lease_remaining_ms = 640;
  leading.epoch_term = 7;
  leading.epoch_primary = "node-1";
  leading.epoch_start_seq = 42;
  leading.applied_term = 6;
  leading.taking_office = "done";
  ConsensusGroupStatus waiting;
  waiting.shard = "s2";
  waiting.role = "follower";
  waiting.taking_office = "idle";
  s.consensus = {leading, waiting};
  const std::string json = to_json(s);
  EXPECT_NE(json.find(",\"consensus\":[{\"shard\":\"s1\",\"role\":\"leader\",\"term\":7,"
                      "\"leader\":\"node-1\",\"lease\":true,\"lease_remaining_ms\":640,"
                      "\"epoch\":{\"term\":7,\"primary\":\"node-1\",\"start_seq\":42},"
                      "\"applied_term\":6,\"taking_office\":\"done\"},{\"shard\":\"s2\","
                      "\"role\":\"follower\",\"term\":0,\"leader\":null,\"lease\":false,"
                      "\"lease_remaining_ms\":0,\"epoch\":null,\"applied_term\":0,"
                      "\"taking_office\":\"idle\"}]}"),
            std::string::npos)
      << json;
}

// With a chain: section: the stored metagraph's block and read time, and the chain's problem.
TEST(NodeStatus, ChainJson) {
  NodeStatus s;
  ChainStatus chain;
  chain.url = "ws://127.0.0.1:9944";
  chain.netuid = 7;
  s.chain = chain; // nothing stored yet, no problem
  const std::string nothing_yet = to_json(s);
  EXPECT_NE(nothing_yet.find(",\"chain\":{\"url\":\"ws://127.0.0.1:9944\",\"netuid\":7,"
                             "\"block\":null,\"read_at\":null,\"problem\":null},"),
            std::string::npos)
      << nothing_yet;

  chain.block = 0; // the chain's block 0 is a block, not "none"
  chain.read_at = system_clock::time_point(seconds(1795316645)) + milliseconds(7);
  chain.problem = "cannot read subnet 7 from the chain: \"timed out\"";
  s.chain = chain;
  const std::string failing = to_json(s);
  EXPECT_NE(failing.find(",\"chain\":{\"url\":\"ws://127.0.0.1:9944\",\"netuid\":7,\"block\":0,"
                         "\"read_at\":\"2026-11-22T03:04:05.007Z\",\"problem\":\"cannot read "
                         "subnet 7 from the chain: \\\"timed out\\\"\"},"),
            std::string::npos)
      << failing;

  s.chain->block = 18446744073709551615u; // u64 block numbers, exact
  s.chain->problem.reset();
  EXPECT_NE(to_json(s).find("\"block\":18446744073709551615,"), std::string::npos);
  EXPECT_NE(to_json(s).find("\"problem\":null}"), std::string::npos);
}

TEST(NodeStatus, NonFiniteNumbersAreNull) {
  NodeStatus s;
  s.serving_rate = std::nan("");
  s.cpu_percent = HUGE_VAL;
  const std::string json = to_json(s);
  EXPECT_NE(json.find("\"serving_rate\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cpu_percent\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"active\":false"), std::string::npos) << json;
}

TEST(NodeStatus, StringEscaping) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
  EXPECT_EQ(json_string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json_string(std::string("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\""); // UTF-8 passes through
  NodeStatus s;
  s.id = "evil\",\"active\":true";
  EXPECT_NE(to_json(s).find("\"id\":\"evil\\\",\\\"active\\\":true\""), std::string::npos);
}

TEST(NodeStatus, ProcessMemory) {
  const auto before = process_rss_bytes();
  EXPECT_GT(before, 0u);
  std::vector<char> block(64 << 20, 1); // touched, so resident
  EXPECT_GE(process_rss_bytes(), before + (32u << 20));
  EXPECT_EQ(block[12345], 1);
}

TEST(NodeStatus, CpuPercent) {
  EXPECT_EQ(cpu_percent(milliseconds(250), seconds(1)), 25.0);
  EXPECT_EQ(cpu_percent(seconds(2), seconds(1)), 200.0); // two cores busy
  EXPECT_EQ(cpu_percent(seconds(1), nanoseconds(0)), 0.0);
  CpuMeter meter;
  // Spin until this process has used 100 ms of CPU: on a loaded machine that takes longer in wall
  // time, so only the bounds that hold under any load are checked.
  const auto start = process_cpu_time();
  const auto give_up = steady_clock::now() + seconds(20);
  volatile unsigned long spin = 0;
  while (process_cpu_time() - start < milliseconds(100) && steady_clock::now() < give_up)
    spin = spin + 1;
  const double busy = meter.sample();
  EXPECT_GT(busy, 0.5);
  EXPECT_LE(busy, 100.0 * 2 + 5); // one spinning thread; some slack for clock granularity
}

} // namespace
