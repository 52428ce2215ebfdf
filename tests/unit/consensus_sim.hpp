// A simulated network of RaftGroups in one process, on a virtual clock, for the consensus tests:
// every node has its own storage directory, messages travel as bytes with a latency, and the
// network can drop, cut (partition), delay and reorder them. Deterministic for a given seed.
#pragma once

#include "mycelium/consensus/raft_group.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace consensus_sim {

using namespace mycelium;
using namespace mycelium::consensus;

struct Applied {
  std::uint64_t index;
  std::uint64_t term;
  Bytes data;
};

struct Packet {
  std::uint64_t deliver_at;
  std::uint64_t seq;
  std::uint64_t from;
  std::uint64_t to;
  Bytes bytes;
  bool operator>(const Packet &o) const {
    return deliver_at != o.deliver_at ? deliver_at > o.deliver_at : seq > o.seq;
  }
};

struct Node {
  std::uint64_t id = 0;
  std::unique_ptr<ConsensusGroup> group;
  std::vector<Applied> applied;
  std::vector<LeadershipChange> changes;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> discarded; // first index, count
  std::uint64_t restores = 0;
  bool storage_fault = false; // every write fails while set
  bool apply_throws = false;  // the state machine throws on the next command
};

class Cluster {
public:
  static constexpr std::uint64_t kGroup = 77;
  static constexpr std::uint64_t kStepMs = 5;

  explicit Cluster(std::uint64_t seed = 1) : rng_(seed) { root_ = make_temp_directory(); }
  // Under an existing directory that the caller removes (a death test's child cannot).
  Cluster(std::uint64_t seed, const std::string &root) : root_(root), rng_(seed) {}

  static std::string make_temp_directory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mycelium-consensus-XXXXXX").string();
    return ::mkdtemp(pattern.data());
  }
  ~Cluster() {
    for (auto &[id, n] : nodes_)
      n.group.reset(); // closing reports to the node's callbacks: they must still exist
    nodes_.clear();
    std::filesystem::remove_all(root_);
  }

  RaftTiming timing;
  std::uint64_t latency_ms = 5;
  std::uint64_t jitter_ms = 0; // extra random delay, which also reorders
  double drop_rate = 0;
  bool guard_membership_rollback = true;
  std::uint64_t now = 1000;
  std::vector<std::string> rejected; // messages a running node refused (should stay empty)

  static Membership voters(std::initializer_list<std::uint64_t> ids) {
    Membership m;
    for (std::uint64_t id : ids)
      m.push_back(Member{id, "node-" + std::to_string(id), MemberRole::Voter});
    return m;
  }

  // Starts (or restarts, from its directory) node `id`. A pristine node with a configuration
  // bootstraps with it; one without waits to be added.
  Node &start(std::uint64_t id, const Membership &initial) {
    Node &n = nodes_[id];
    n.id = id;
    RaftGroupOptions o;
    o.group_id = kGroup;
    o.self_id = id;
    o.self_address = "node-" + std::to_string(id);
    o.directory = root_ + "/node-" + std::to_string(id);
    o.initial_configuration = initial;
    o.clock_ms = [this] { return now; };
    o.timing = timing;
    o.inject_storage_fault = [&n](std::string_view) { return n.storage_fault; };
    o.guard_membership_rollback = guard_membership_rollback;
    GroupCallbacks cb;
    cb.send = [this, id](std::uint64_t to, Bytes bytes) { send(id, to, std::move(bytes)); };
    // Idempotent by index, as the interface asks: a restarted group applies again.
    cb.apply = [&n](const CommittedEntry &e) {
      if (n.apply_throws)
        throw std::runtime_error("state machine refused");
      if (!n.applied.empty() && e.index <= n.applied.back().index)
        return;
      n.applied.push_back({e.index, e.term, e.copy()});
    };
    cb.snapshot = [&n] { return serialize(n.applied); };
    cb.restore = [&n](const Bytes &data, std::uint64_t, std::uint64_t) {
      n.applied = deserialize(data);
      ++n.restores;
    };
    cb.leadership_changed = [&n](const LeadershipChange &c) { n.changes.push_back(c); };
    cb.entries_discarded = [&n](std::uint64_t first, std::uint64_t count) {
      n.discarded.emplace_back(first, count);
    };
    n.applied.clear();
    n.group = make_raft_group(std::move(o), std::move(cb));
    n.group->start();
    return n;
  }

  void start_all(std::initializer_list<std::uint64_t> ids) {
    Membership m;
    for (std::uint64_t id : ids)
      m.push_back(Member{id, "node-" + std::to_string(id), MemberRole::Voter});
    for (std::uint64_t id : ids)
      start(id, m);
  }

  // The process dies: the group is destroyed (its files stay).
  void kill(std::uint64_t id) { nodes_.at(id).group.reset(); }
  bool alive(std::uint64_t id) const { return nodes_.count(id) && nodes_.at(id).group; }
  Node &node(std::uint64_t id) { return nodes_.at(id); }
  ConsensusGroup &group(std::uint64_t id) { return *nodes_.at(id).group; }

  // Cuts every link between `side` and the other nodes, both ways.
  void partition(const std::set<std::uint64_t> &side) {
    for (auto &[a, _] : nodes_)
      for (auto &[b, __] : nodes_)
        if (side.count(a) != side.count(b))
          cut_.insert({a, b});
  }
  void heal() { cut_.clear(); }
  void cut(std::uint64_t from, std::uint64_t to) { cut_.insert({from, to}); }

  void step() {
    now += kStepMs;
    while (!in_flight_.empty() && in_flight_.top().deliver_at <= now) {
      Packet p = in_flight_.top();
      in_flight_.pop();
      if (!alive(p.to) || cut_.count({p.from, p.to}))
        continue;
      if (trace_)
        print_packet(p);
      std::string error;
      if (!group(p.to).deliver(p.from, p.bytes, &error)) {
        if (error != "the group is not running")
          rejected.push_back(error);
        else if (trace_)
          std::fprintf(stderr, "%llu: node %llu not running\n",
                       static_cast<unsigned long long>(now), static_cast<unsigned long long>(p.to));
      }
    }
    for (auto &[id, n] : nodes_)
      if (n.group)
        n.group->tick();
  }

  bool run_until(const std::function<bool()> &done, std::uint64_t max_ms) {
    for (std::uint64_t waited = 0; waited <= max_ms; waited += kStepMs) {
      if (done())
        return true;
      step();
    }
    return done();
  }
  void run_for(std::uint64_t ms) {
    run_until([] { return false; }, ms);
  }

  // The alive node that is leader, if exactly one node (of those in `among`, or all) is.
  std::uint64_t leader(const std::set<std::uint64_t> &among = {}) {
    std::uint64_t found = 0;
    for (auto &[id, n] : nodes_) {
      if (!n.group || (!among.empty() && !among.count(id)))
        continue;
      if (n.group->status().role == Role::Leader) {
        if (found != 0)
          return 0;
        found = id;
      }
    }
    return found;
  }
  std::uint64_t wait_for_leader(const std::set<std::uint64_t> &among = {},
                                std::uint64_t max_ms = 10000) {
    std::uint64_t id = 0;
    run_until([&] { return (id = leader(among)) != 0; }, max_ms);
    return id;
  }

  // Proposes on `id`; the returned outcome fills in when the proposal completes.
  std::shared_ptr<std::optional<RequestOutcome>> propose(std::uint64_t id, const Bytes &command) {
    auto outcome = std::make_shared<std::optional<RequestOutcome>>();
    group(id).propose(command, [outcome](const RequestOutcome &o) { *outcome = o; });
    return outcome;
  }
  std::shared_ptr<std::optional<RequestOutcome>>
  change(const std::function<void(ConsensusGroup &, RequestDone)> &call, std::uint64_t on) {
    auto outcome = std::make_shared<std::optional<RequestOutcome>>();
    call(group(on), [outcome](const RequestOutcome &o) { *outcome = o; });
    return outcome;
  }

  bool all_applied(const std::set<std::uint64_t> &ids, std::size_t count) {
    for (std::uint64_t id : ids)
      if (!alive(id) || node(id).applied.size() < count)
        return false;
    return true;
  }

  // Safety: no two nodes applied different commands at the same index, and each node applied
  // indexes in increasing order.
  void expect_applied_logs_agree() {
    std::map<std::uint64_t, Bytes> by_index;
    for (auto &[id, n] : nodes_) {
      std::uint64_t last = 0;
      for (const Applied &a : n.applied) {
        EXPECT_GT(a.index, last) << "node " << id;
        last = a.index;
        auto [it, inserted] = by_index.emplace(a.index, a.data);
        if (!inserted) {
          EXPECT_EQ(it->second, a.data) << "node " << id << " index " << a.index;
        }
      }
    }
  }

  // Election safety from the leadership reports: at most one leader per term.
  void expect_one_leader_per_term() {
    std::map<std::uint64_t, std::set<std::uint64_t>> leaders;
    for (auto &[id, n] : nodes_)
      for (const LeadershipChange &c : n.changes)
        if (c.role == Role::Leader)
          leaders[c.term].insert(id);
    for (auto &[term, ids] : leaders)
      EXPECT_EQ(ids.size(), 1u) << "term " << term;
  }

  // One line per node, for failure messages.
  std::string describe() {
    std::string out;
    for (auto &[id, n] : nodes_) {
      out += "node " + std::to_string(id) + ": ";
      if (!n.group) {
        out += "down\n";
        continue;
      }
      GroupStatus s = n.group->status();
      out += std::string(to_string(s.role)) + " term " + std::to_string(s.term) + " leader " +
             std::to_string(s.leader_id) + " commit " + std::to_string(s.commit_index) +
             " applied " + std::to_string(s.last_applied) + " last " +
             std::to_string(s.last_index) + " members " + std::to_string(s.configuration.size()) +
             " restarts " + std::to_string(s.restarts) + " " + s.failure + "\n";
    }
    return out;
  }

  static Bytes serialize(const std::vector<Applied> &applied) {
    Bytes out;
    for (const Applied &a : applied) {
      for (std::uint64_t v : {a.index, a.term, static_cast<std::uint64_t>(a.data.size())})
        for (int i = 0; i < 8; ++i)
          out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
      out.insert(out.end(), a.data.begin(), a.data.end());
    }
    return out;
  }
  static std::vector<Applied> deserialize(const Bytes &in) {
    std::vector<Applied> out;
    std::size_t pos = 0;
    auto u64 = [&] {
      std::uint64_t v = 0;
      for (int i = 0; i < 8; ++i)
        v |= static_cast<std::uint64_t>(in[pos++]) << (8 * i);
      return v;
    };
    while (pos < in.size()) {
      Applied a{};
      a.index = u64();
      a.term = u64();
      std::uint64_t len = u64();
      a.data.assign(in.begin() + static_cast<long>(pos), in.begin() + static_cast<long>(pos + len));
      pos += len;
      out.push_back(std::move(a));
    }
    return out;
  }

private:
  // MYC_CONSENSUS_TRACE=1 prints every delivered message (for debugging a failing seed).
  void print_packet(const Packet &p) const {
    RaftEnvelope m = decode_raft_message(p.bytes);
    std::fprintf(stderr, "%llu %llu->%llu kind %d term %llu", static_cast<unsigned long long>(now),
                 static_cast<unsigned long long>(p.from), static_cast<unsigned long long>(p.to),
                 static_cast<int>(kind_of(m.body)),
                 static_cast<unsigned long long>(term_of(m.body)));
    if (const auto *a = std::get_if<AppendEntries>(&m.body))
      std::fprintf(stderr, " prev %llu/%llu commit %llu n %zu",
                   static_cast<unsigned long long>(a->prev_log_index),
                   static_cast<unsigned long long>(a->prev_log_term),
                   static_cast<unsigned long long>(a->leader_commit), a->entries.size());
    if (const auto *a = std::get_if<AppendEntriesResult>(&m.body))
      std::fprintf(stderr, " rejected %llu last %llu", static_cast<unsigned long long>(a->rejected),
                   static_cast<unsigned long long>(a->last_log_index));
    if (const auto *a = std::get_if<InstallSnapshot>(&m.body))
      std::fprintf(stderr, " snapshot %llu/%llu", static_cast<unsigned long long>(a->last_index),
                   static_cast<unsigned long long>(a->last_term));
    std::fprintf(stderr, "\n");
  }

  void send(std::uint64_t from, std::uint64_t to, Bytes bytes) {
    if (drop_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < drop_rate)
      return;
    std::uint64_t delay = latency_ms;
    if (jitter_ms > 0)
      delay += std::uniform_int_distribution<std::uint64_t>(0, jitter_ms)(rng_);
    in_flight_.push(Packet{now + delay, seq_++, from, to, std::move(bytes)});
  }

public:
  std::string directory_of(std::uint64_t id) const { return root_ + "/node-" + std::to_string(id); }

private:
  std::string root_;
  std::map<std::uint64_t, Node> nodes_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<Packet>> in_flight_;
  std::uint64_t seq_ = 0;
  std::mt19937_64 rng_;
  bool trace_ = std::getenv("MYC_CONSENSUS_TRACE") != nullptr;
};

inline Bytes cmd(const std::string &s) {
  return Bytes(s.begin(), s.end());
}

inline bool ok(const std::shared_ptr<std::optional<RequestOutcome>> &o) {
  return *o && (*o)->ok();
}
inline bool done(const std::shared_ptr<std::optional<RequestOutcome>> &o) {
  return o->has_value();
}

inline std::vector<Bytes> commands_of(const Node &n) {
  std::vector<Bytes> out;
  for (const Applied &a : n.applied)
    out.push_back(a.data);
  return out;
}

} // namespace consensus_sim
