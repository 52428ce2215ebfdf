// ConsensusHost: the one owner of the Raft groups of the elected shards this node holds as a
// validator (issue 14; schemas/CONSENSUS.md, "Elected shards: the agent"). It
//   - reads mycelium.elected_shards every second and starts a group per row (bootstrapping
//     only a primary whose shard has no epoch yet), stops the groups of rows that went away,
//     and restarts a Failed group from its directory;
//   - ticks the groups every 10 ms on CLOCK_MONOTONIC milliseconds (steady_clock), the clock
//     the extension checks leases on;
//   - carries their messages: RaftMessage from a link goes to the group its bytes name, with
//     the link's authenticated node as sender; a group's bytes for a member go to the link of
//     the node that is the member's address;
//   - as leader: brings the configuration to the shard's voters, one change at a time, and
//     takes office (DB sync of the shard from the linked members, mycelium.shard_head, then the
//     Epoch proposal: consensus/shard_group.hpp's TakeOffice decides the steps);
//   - applies every committed epoch, in log order, to the database (mycelium.apply_shard_epoch,
//     queued, retried, idempotent), and keeps every one (the latest 8192) as the state
//     machine, whose snapshot restores on a lagging member every epoch it missed;
//   - publishes every group's term, leader and lease end with mycelium.report_consensus every
//     100 ms and at once on a change;
//   - stops its groups when the database has been unreachable for 2 s (a leader that cannot
//     write must not keep the shard), and starts them again when it answers.
// The decisions are the pure code of core (shard_group.hpp, the groups themselves); this file
// moves bytes and rows between them, the links (through Links) and the database (NodeStore).
// Everything runs on the agent's loop.
#pragma once

#include "config.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "node_store.hpp"

#include "mycelium/consensus/consensus_group.hpp"
#include "mycelium/consensus/shard_group.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

typedef struct uv_loop_s uv_loop_t;
typedef struct uv_timer_s uv_timer_t;

namespace mycelium::agent {

class ConsensusHost {
public:
  // What the host reaches of the links; Agent provides it.
  struct Links {
    // Sends one Raft message to `node_id` on its session, if that is a validator's session of
    // protocol minor 3 or later; false when there is none (the message is dropped: Raft
    // resends).
    std::function<bool(const std::string &node_id, Bytes data)> send;
    // Asks `node_id` for the shard's entries after this node's head (DbSync::ask_shard); false
    // when there is no link to it. `done(answered)` follows.
    std::function<bool(const std::string &node_id, const std::string &shard,
                       std::function<void(bool answered)> done)>
        ask_sync;
  };

  // Every reference must outlive the host.
  ConsensusHost(uv_loop_t *loop, const AgentConfig &config, NodeStore &store, AgentMetrics &metrics,
                Links links);
  ~ConsensusHost();
  ConsensusHost(const ConsensusHost &) = delete;
  ConsensusHost &operator=(const ConsensusHost &) = delete;

  // Starts the timer (once the start-up checks passed). Reads the host's boot id.
  void start();
  // Stops every group and the timer.
  void stop();

  // A RaftMessage from the link's authenticated peer.
  void on_message(const std::string &peer, bool peer_is_validator, const Bytes &data);

  // /status: one entry per elected shard hosted here.
  std::vector<ConsensusGroupStatus> status() const;

  // CLOCK_MONOTONIC in milliseconds: the clock of the groups and of the leases published.
  static std::uint64_t monotonic_ms();

private:
  struct Hosted;
  void tick();
  void poll_shards();
  void reconcile(std::vector<ElectedShard> rows);
  void start_group(Hosted &h);
  void drive(Hosted &h, std::uint64_t now);
  void take_office(Hosted &h, std::uint64_t now);
  void ask_members_to_sync(Hosted &h);
  void retire_directory(const std::string &shard);
  void manage_membership(Hosted &h, std::uint64_t now);
  void apply_next_epoch(Hosted &h, std::uint64_t now);
  void publish(std::uint64_t now);
  void watch_database(std::uint64_t now);
  Hosted *find(const std::string &shard);
  std::string node_of(std::uint64_t id, const Hosted *h) const;
  void on_leadership(Hosted &h, const consensus::LeadershipChange &change);
  void on_apply(Hosted &h, const consensus::CommittedEntry &entry);
  void count_roles();

  uv_loop_t *loop_;
  const AgentConfig &config_;
  NodeStore &store_;
  AgentMetrics &metrics_;
  Links links_;
  uv_timer_t *timer_ = nullptr;
  std::string self_;
  std::uint64_t self_id_;
  std::string boot_id_;
  std::map<std::string, std::unique_ptr<Hosted>> shards_; // shard id -> its group
  std::map<std::uint64_t, std::string> group_shard_;      // group id -> shard id
  mutable std::map<std::uint64_t, std::string> nodes_;    // raft id -> node id, as learnt
  std::uint64_t last_poll_ms_ = 0;
  std::uint64_t last_report_ms_ = 0;
  std::uint64_t last_slow_ms_ = 0;
  bool poll_in_flight_ = false;
  bool report_in_flight_ = false;
  bool report_dirty_ = false;
  bool database_down_ = false; // the groups are stopped until the database answers again
  RepeatedProblem poll_problem_{"cannot read mycelium.elected_shards"};
  RepeatedProblem report_problem_{"cannot publish the consensus leases "
                                  "(mycelium.report_consensus)"};
};

} // namespace mycelium::agent
