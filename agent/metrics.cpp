#include "metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <stdexcept>

namespace mycelium::agent {

namespace {

bool valid_metric_name(const std::string &name) {
  static const std::regex pattern("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name, pattern);
}

// Label names starting with "__" are reserved for Prometheus itself.
bool valid_label_name(const std::string &name) {
  static const std::regex pattern("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(name, pattern) && name.rfind("__", 0) != 0;
}

} // namespace

std::string escape_label_value(const std::string &value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(const std::string &help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

void MetricsRegistry::define(const std::string &name, MetricType type, const std::string &help,
                             std::vector<std::string> label_names) {
  if (!valid_metric_name(name))
    throw std::logic_error("invalid metric name: " + name);
  for (const auto &label : label_names)
    if (!valid_label_name(label))
      throw std::logic_error("metric " + name + ": invalid label name: " + label);
  std::sort(label_names.begin(), label_names.end());
  if (std::adjacent_find(label_names.begin(), label_names.end()) != label_names.end())
    throw std::logic_error("metric " + name + ": a label name is repeated");
  std::lock_guard<std::mutex> lock(mutex_);
  Family f{type, help, std::move(label_names), {}};
  if (f.label_names.empty())
    f.series[{}] = 0;
  if (!families_.emplace(name, std::move(f)).second)
    throw std::logic_error("metric defined twice: " + name);
}

MetricsRegistry::Family &MetricsRegistry::family(const std::string &name, const Labels &labels) {
  const auto it = families_.find(name);
  if (it == families_.end())
    throw std::logic_error("undefined metric: " + name);
  const auto &wanted = it->second.label_names;
  const bool match = labels.size() == wanted.size() &&
                     std::equal(labels.begin(), labels.end(), wanted.begin(),
                                [](const auto &label, const auto &n) { return label.first == n; });
  if (!match)
    throw std::logic_error("metric " + name + ": labels do not match its definition");
  return it->second;
}

void MetricsRegistry::add(const std::string &name, const Labels &labels, double delta) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family &f = family(name, labels);
  if (f.type == MetricType::counter && !(delta >= 0))
    throw std::logic_error("counter " + name + " can only go up");
  f.series[labels] += delta;
}

void MetricsRegistry::set(const std::string &name, const Labels &labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family &f = family(name, labels);
  if (f.type != MetricType::gauge)
    throw std::logic_error("metric " + name + " is not a gauge");
  f.series[labels] = value;
}

void MetricsRegistry::remove(const std::string &name, const Labels &labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family &f = family(name, labels);
  if (f.type != MetricType::gauge)
    throw std::logic_error("metric " + name + " is not a gauge");
  if (!labels.empty())
    f.series.erase(labels);
}

double MetricsRegistry::value(const std::string &name, const Labels &labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = families_.find(name);
  if (it == families_.end())
    return 0;
  const auto s = it->second.series.find(labels);
  return s == it->second.series.end() ? 0 : s->second;
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto &[name, f] : families_) {
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + (f.type == MetricType::counter ? " counter\n" : " gauge\n");
    for (const auto &[labels, value] : f.series) {
      out += name;
      if (!labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto &[label, label_value] : labels) {
          out += (first ? "" : ",") + label + "=\"" + escape_label_value(label_value) + "\"";
          first = false;
        }
        out += '}';
      }
      out += ' ' + format_sample_value(value) + '\n';
    }
  }
  return out;
}

AgentMetrics::AgentMetrics() {
  registry_.define(metric::kPeers, MetricType::gauge, "Authenticated peer links open now.");
  registry_.define(metric::kMessagesIn, MetricType::counter,
                   "Messages received from peers, by message type.", {"type"});
  registry_.define(metric::kMessagesOut, MetricType::counter, "Messages sent to peers, by type.",
                   {"type"});
  registry_.define(metric::kMessagesRejected, MetricType::counter,
                   "Messages from peers refused, by reason.", {"reason"});
  registry_.define(metric::kHandshakeFailures, MetricType::counter,
                   "Peer handshakes that failed, by reason.", {"reason"});
  registry_.define(metric::kSyncBehind, MetricType::gauge,
                   "1 until the latest DB sync round fetched everything the primary had for "
                   "the shard, then 0; one series per shard replicated from a linked peer.",
                   {"shard"});
  registry_.define(metric::kGossip, MetricType::counter,
                   "Gossip messages received, by verdict (deliver, duplicate, stale, "
                   "unknown-origin, bad-signature); published ones count as published.",
                   {"verdict"});
  registry_.define(metric::kBans, MetricType::counter,
                   "Nodes banned: by this node's own scoring (local) or by shared entries "
                   "(shared).",
                   {"source"});
  registry_.define(metric::kListeningPorts, MetricType::gauge,
                   "Peer ports open now: the bootstrap port plus rotated ones.");
  registry_.define(metric::kConsensusGroups, MetricType::gauge,
                   "Raft groups of elected shards hosted here, by role (leader, follower, "
                   "candidate, unavailable, failed, stopped).",
                   {"role"});
  registry_.define(metric::kElectionsWon, MetricType::counter,
                   "Times a group hosted here became leader.");
  registry_.define(metric::kLeadershipLost, MetricType::counter,
                   "Times a group hosted here stopped being leader.");
  registry_.define(metric::kRaftMessages, MetricType::counter,
                   "Raft messages of elected shards' groups, by direction (in: delivered to a "
                   "group, out: handed to a link).",
                   {"direction"});
  registry_.define(metric::kRaftDropped, MetricType::counter,
                   "Raft messages dropped, by reason (non-validator, unknown-group, non-member, "
                   "rejected: the group refused the bytes, no-link: no session of minor 3 to the "
                   "member).",
                   {"reason"});
}

} // namespace mycelium::agent
