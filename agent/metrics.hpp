// Counters and gauges for /metrics, in the Prometheus text exposition format (version 0.0.4), and
// the agent's own metric names. No client library: the format is a few lines of text, and the
// agent must not depend on a metrics stack to run.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mycelium::agent {

// The Content-Type /metrics must be served with.
inline constexpr const char *kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { counter, gauge };

// Label name -> value. A map, so a series' labels are always in the same (sorted) order.
using Labels = std::map<std::string, std::string>;

// Thread-safe. One mutex: updates are a map lookup and an addition, far cheaper than the message
// handling around them, and scrapes are rare.
//
// Label values must come from a bounded set (a message type from the protocol's list, a reason
// from the agent's own list), never straight from a peer: each distinct value is a series kept
// for the life of the process.
class MetricsRegistry {
public:
  // Declares a metric. Names and label names must be valid Prometheus identifiers; redefining a
  // name throws std::logic_error. A metric without labels starts at 0, so it is exported before
  // its first update.
  void define(const std::string &name, MetricType type, const std::string &help,
              std::vector<std::string> label_names = {});

  // Counters only go up: `add` on a counter with a negative delta throws std::logic_error, as do
  // unknown names and labels that do not match the definition (programming errors).
  void add(const std::string &name, const Labels &labels = {}, double delta = 1);
  // Gauges only.
  void set(const std::string &name, const Labels &labels, double value);
  // Removes one series of a gauge (a shard this node no longer holds).
  void remove(const std::string &name, const Labels &labels);

  // 0 for a series never updated.
  double value(const std::string &name, const Labels &labels = {}) const;

  // Metrics sorted by name, series by labels: the same state always renders the same text.
  std::string render_prometheus() const;

private:
  struct Family {
    MetricType type;
    std::string help;
    std::vector<std::string> label_names; // sorted
    std::map<Labels, double> series;
  };
  Family &family(const std::string &name, const Labels &labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// The agent's metrics, by name (agent/README.md lists them).
namespace metric {
inline constexpr const char *kPeers = "mycelium_agent_peers";
inline constexpr const char *kMessagesIn = "mycelium_agent_messages_in_total";
inline constexpr const char *kMessagesOut = "mycelium_agent_messages_out_total";
inline constexpr const char *kMessagesRejected = "mycelium_agent_messages_rejected_total";
inline constexpr const char *kHandshakeFailures = "mycelium_agent_handshake_failures_total";
inline constexpr const char *kSyncBehind = "mycelium_agent_sync_behind";
inline constexpr const char *kGossip = "mycelium_agent_gossip_total";
inline constexpr const char *kBans = "mycelium_agent_bans_total";
inline constexpr const char *kListeningPorts = "mycelium_agent_listening_ports";
inline constexpr const char *kConsensusGroups = "mycelium_agent_consensus_groups";
inline constexpr const char *kElectionsWon = "mycelium_agent_consensus_elections_won_total";
inline constexpr const char *kLeadershipLost = "mycelium_agent_consensus_leadership_lost_total";
inline constexpr const char *kRaftMessages = "mycelium_agent_consensus_messages_total";
inline constexpr const char *kRaftDropped = "mycelium_agent_consensus_dropped_total";
} // namespace metric

// A registry with the agent's metrics defined, and one call per event.
class AgentMetrics {
public:
  AgentMetrics();

  void set_peers(int count) { registry_.set(metric::kPeers, {}, count); }
  void message_in(const std::string &type) { registry_.add(metric::kMessagesIn, {{"type", type}}); }
  void message_out(const std::string &type) {
    registry_.add(metric::kMessagesOut, {{"type", type}});
  }
  void message_rejected(const std::string &reason) {
    registry_.add(metric::kMessagesRejected, {{"reason", reason}});
  }
  void handshake_failed(const std::string &reason) {
    registry_.add(metric::kHandshakeFailures, {{"reason", reason}});
  }
  // Pull side (DB sync): 1 until a round has fetched all the primary had for the shard.
  void set_sync_behind(const std::string &shard, bool behind) {
    registry_.set(metric::kSyncBehind, {{"shard", shard}}, behind ? 1 : 0);
  }
  void gossip(const std::string &verdict) {
    registry_.add(metric::kGossip, {{"verdict", verdict}});
  }
  void banned(const std::string &source) { registry_.add(metric::kBans, {{"source", source}}); }
  void set_listening_ports(int count) { registry_.set(metric::kListeningPorts, {}, count); }
  // Consensus (elected shards): groups hosted by role, elections won, leaderships lost, Raft
  // messages in and out, and those dropped, by reason.
  void set_consensus_groups(const std::string &role, int count) {
    registry_.set(metric::kConsensusGroups, {{"role", role}}, count);
  }
  void election_won() { registry_.add(metric::kElectionsWon); }
  void leadership_lost() { registry_.add(metric::kLeadershipLost); }
  void raft_message(const std::string &direction) {
    registry_.add(metric::kRaftMessages, {{"direction", direction}});
  }
  void raft_dropped(const std::string &reason) {
    registry_.add(metric::kRaftDropped, {{"reason", reason}});
  }
  void forget_shard(const std::string &shard) {
    registry_.remove(metric::kSyncBehind, {{"shard", shard}});
  }

  MetricsRegistry &registry() { return registry_; }
  const MetricsRegistry &registry() const { return registry_; }
  std::string render_prometheus() const { return registry_.render_prometheus(); }

private:
  MetricsRegistry registry_;
};

// Exposition-format escaping, exposed for tests: label values escape \, " and newline; HELP text
// escapes \ and newline.
std::string escape_label_value(const std::string &value);
std::string escape_help(const std::string &help);
// Sample values: the shortest exact decimal ("3", "0.25", "1e+21"), NaN, +Inf, -Inf.
std::string format_sample_value(double value);

} // namespace mycelium::agent
