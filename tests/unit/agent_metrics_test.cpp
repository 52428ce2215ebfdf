// /metrics: the Prometheus text exposition format, byte for byte.
#include "agent/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace mycelium::agent;

TEST(Metrics, RendersASmallRegistryExactly) {
  MetricsRegistry r;
  r.define("b_total", MetricType::counter, "Things counted,\nby kind \\ colour.",
           {"kind", "colour"});
  r.define("a_gauge", MetricType::gauge, "A gauge.");
  r.define("c_empty_total", MetricType::counter, "Never incremented.", {"reason"});
  r.add("b_total", {{"kind", "x"}, {"colour", "red"}});
  r.add("b_total", {{"kind", "x"}, {"colour", "red"}}, 2);
  r.add("b_total", {{"colour", "blue"}, {"kind", "a\"b\\c\nd"}});
  r.set("a_gauge", {}, 0.25);
  EXPECT_EQ(r.render_prometheus(), "# HELP a_gauge A gauge.\n"
                                   "# TYPE a_gauge gauge\n"
                                   "a_gauge 0.25\n"
                                   "# HELP b_total Things counted,\\nby kind \\\\ colour.\n"
                                   "# TYPE b_total counter\n"
                                   "b_total{colour=\"blue\",kind=\"a\\\"b\\\\c\\nd\"} 1\n"
                                   "b_total{colour=\"red\",kind=\"x\"} 3\n"
                                   "# HELP c_empty_total Never incremented.\n"
                                   "# TYPE c_empty_total counter\n");
}

TEST(Metrics, AgentMetricsNamesAndLabels) {
  AgentMetrics m;
  m.set_peers(3);
  m.message_in("ping");
  m.message_in("ping");
  m.message_out("pong");
  m.message_rejected("bad_signature");
  m.handshake_failed("wrong_key");
  m.set_sync_behind("users", true);
  m.set_sync_behind("orders", false);
  m.forget_shard("orders");
  m.banned("shared");
  m.gossip("deliver");
  m.set_listening_ports(2);
  m.set_consensus_groups("leader", 1);
  m.election_won();
  m.leadership_lost();
  m.raft_message("in");
  m.raft_dropped("non-member");
  EXPECT_EQ(
      m.render_prometheus(),
      "# HELP mycelium_agent_bans_total Nodes banned: by this node's own scoring (local) or by "
      "shared entries (shared).\n"
      "# TYPE mycelium_agent_bans_total counter\n"
      "mycelium_agent_bans_total{source=\"shared\"} 1\n"
      "# HELP mycelium_agent_consensus_dropped_total Raft messages dropped, by reason "
      "(non-validator, unknown-group, non-member, rejected: the group refused the bytes, "
      "no-link: no session of minor 3 to the member).\n"
      "# TYPE mycelium_agent_consensus_dropped_total counter\n"
      "mycelium_agent_consensus_dropped_total{reason=\"non-member\"} 1\n"
      "# HELP mycelium_agent_consensus_elections_won_total Times a group hosted here became "
      "leader.\n"
      "# TYPE mycelium_agent_consensus_elections_won_total counter\n"
      "mycelium_agent_consensus_elections_won_total 1\n"
      "# HELP mycelium_agent_consensus_groups Raft groups of elected shards hosted here, by role "
      "(leader, follower, candidate, unavailable, failed, stopped).\n"
      "# TYPE mycelium_agent_consensus_groups gauge\n"
      "mycelium_agent_consensus_groups{role=\"leader\"} 1\n"
      "# HELP mycelium_agent_consensus_leadership_lost_total Times a group hosted here stopped "
      "being leader.\n"
      "# TYPE mycelium_agent_consensus_leadership_lost_total counter\n"
      "mycelium_agent_consensus_leadership_lost_total 1\n"
      "# HELP mycelium_agent_consensus_messages_total Raft messages of elected shards' groups, by "
      "direction (in: delivered to a group, out: handed to a link).\n"
      "# TYPE mycelium_agent_consensus_messages_total counter\n"
      "mycelium_agent_consensus_messages_total{direction=\"in\"} 1\n"
      "# HELP mycelium_agent_gossip_total Gossip messages received, by verdict (deliver, "
      "duplicate, stale, unknown-origin, bad-signature); published ones count as published.\n"
      "# TYPE mycelium_agent_gossip_total counter\n"
      "mycelium_agent_gossip_total{verdict=\"deliver\"} 1\n"
      "# HELP mycelium_agent_handshake_failures_total Peer handshakes that failed, by "
      "reason.\n"
      "# TYPE mycelium_agent_handshake_failures_total counter\n"
      "mycelium_agent_handshake_failures_total{reason=\"wrong_key\"} 1\n"
      "# HELP mycelium_agent_listening_ports Peer ports open now: the bootstrap port plus "
      "rotated ones.\n"
      "# TYPE mycelium_agent_listening_ports gauge\n"
      "mycelium_agent_listening_ports 2\n"
      "# HELP mycelium_agent_messages_in_total Messages received from peers, by message "
      "type.\n"
      "# TYPE mycelium_agent_messages_in_total counter\n"
      "mycelium_agent_messages_in_total{type=\"ping\"} 2\n"
      "# HELP mycelium_agent_messages_out_total Messages sent to peers, by type.\n"
      "# TYPE mycelium_agent_messages_out_total counter\n"
      "mycelium_agent_messages_out_total{type=\"pong\"} 1\n"
      "# HELP mycelium_agent_messages_rejected_total Messages from peers refused, by "
      "reason.\n"
      "# TYPE mycelium_agent_messages_rejected_total counter\n"
      "mycelium_agent_messages_rejected_total{reason=\"bad_signature\"} 1\n"
      "# HELP mycelium_agent_peers Authenticated peer links open now.\n"
      "# TYPE mycelium_agent_peers gauge\n"
      "mycelium_agent_peers 3\n"
      "# HELP mycelium_agent_sync_behind 1 until the latest DB sync round fetched everything "
      "the primary had for the shard, then 0; one series per shard replicated from a linked "
      "peer.\n"
      "# TYPE mycelium_agent_sync_behind gauge\n"
      "mycelium_agent_sync_behind{shard=\"users\"} 1\n");
  EXPECT_EQ(m.registry().value(metric::kMessagesIn, {{"type", "ping"}}), 2);
  EXPECT_EQ(m.registry().value(metric::kMessagesIn, {{"type", "gossip"}}), 0);
}

TEST(Metrics, UnlabelledMetricIsExportedBeforeItsFirstUpdate) {
  AgentMetrics m;
  EXPECT_NE(m.render_prometheus().find("\nmycelium_agent_peers 0\n"), std::string::npos);
}

TEST(Metrics, SampleValues) {
  EXPECT_EQ(format_sample_value(0), "0");
  EXPECT_EQ(format_sample_value(42), "42");
  EXPECT_EQ(format_sample_value(-1.5), "-1.5");
  EXPECT_EQ(format_sample_value(1e21), "1e+21");
  EXPECT_EQ(format_sample_value(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(Metrics, Escaping) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("q\"b\\n\n"), "q\\\"b\\\\n\\n");
  EXPECT_EQ(escape_help("a \"quote\" stays\\\n"), "a \"quote\" stays\\\\\\n");
}

TEST(Metrics, MisuseIsAProgrammingError) {
  MetricsRegistry r;
  r.define("c_total", MetricType::counter, "c", {"type"});
  r.define("g", MetricType::gauge, "g");
  EXPECT_THROW(r.define("c_total", MetricType::counter, "again"), std::logic_error);
  EXPECT_THROW(r.define("bad-name", MetricType::gauge, "x"), std::logic_error);
  EXPECT_THROW(r.define("x", MetricType::gauge, "x", {"__reserved"}), std::logic_error);
  EXPECT_THROW(r.define("y", MetricType::gauge, "y", {"a", "a"}), std::logic_error);
  EXPECT_THROW(r.add("nope"), std::logic_error);
  EXPECT_THROW(r.add("c_total"), std::logic_error);                      // label missing
  EXPECT_THROW(r.add("c_total", {{"kind", "x"}}), std::logic_error);     // wrong label
  EXPECT_THROW(r.add("c_total", {{"type", "x"}}, -1), std::logic_error); // counters go up
  EXPECT_THROW(r.set("c_total", {{"type", "x"}}, 5), std::logic_error);  // not a gauge
  r.add("g", {}, -2);                                                    // gauges go both ways
  EXPECT_EQ(r.value("g"), -2);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  AgentMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 10000; ++i) {
        m.message_in("gossip");
        if (i % 1000 == 0)
          m.render_prometheus();
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(m.registry().value(metric::kMessagesIn, {{"type", "gossip"}}), 40000);
}

} // namespace
