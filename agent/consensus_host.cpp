// ConsensusHost (consensus_host.hpp): the elected shards' Raft groups on the agent's loop.
#include "consensus_host.hpp"

#include "mycelium/consensus/raft_group.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>

namespace mycelium::agent {

namespace c = mycelium::consensus;
namespace p = mycelium::protocol;

namespace {

constexpr int kTickMs = 10;                    // libraft's timers want ~heartbeat / 10
constexpr std::uint64_t kPollMs = 1000;        // mycelium.elected_shards
constexpr std::uint64_t kReportMs = 100;       // mycelium.report_consensus
constexpr std::uint64_t kSlowMs = 100;         // configuration cache, roles, failures
constexpr std::uint64_t kSyncTimeoutMs = 2000; // taking office: wait for the members' answers
constexpr std::int64_t kDatabaseDownMs = 2000; // then the groups stop
constexpr std::uint64_t kRetryMs = 1000;       // a failed statement or change, again after
constexpr std::uint64_t kMaxRestartDelayMs = 30000;
constexpr unsigned kLeaseMarginMs = 250; // RaftTiming's default

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

c::Hash32 hash_of(const std::string &hex) {
  c::Hash32 h{};
  if (hex.empty())
    return h;
  const Bytes b = from_hex(hex, 32, "hash");
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

} // namespace

// One elected shard and its group. Callbacks of the group hold a pointer to it: the group is
// destroyed before it, and never inside one of its own callbacks. Database callbacks look it up
// again by shard id (it may be gone when they come back).
struct ConsensusHost::Hosted {
  explicit Hosted(std::uint64_t lease_ms) : office(kSyncTimeoutMs, lease_ms) {}

  std::string shard;
  std::uint64_t group_id = 0;
  ElectedShard row;
  std::unique_ptr<c::ConsensusGroup> group;
  bool closing = false; // stop() asked: destroyed after its next tick
  bool gone = false;    // no longer in elected_shards: forgotten once closed

  // What the group last reported (leadership_changed), and when it began to lead.
  c::Role role = c::Role::Unavailable;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;
  std::uint64_t leader_since_ms = 0;
  c::Membership configuration; // refreshed every kSlowMs (routing checks membership)
  bool configuration_committed = true;

  // The state machine: every committed epoch in term order (the latest kMaxEpochHistory), and
  // those still to apply to the database.
  std::vector<c::Epoch> history;
  std::deque<c::Epoch> to_apply;
  bool applying = false;
  std::uint64_t apply_retry_ms = 0;
  std::uint64_t applied_term = 0; // the latest epoch the database took (or refused as stale)
  RepeatedProblem apply_problem{"cannot apply an epoch (mycelium.apply_shard_epoch)"};

  c::TakeOffice office;
  std::uint64_t office_retry_ms = 0;
  bool changing = false; // a membership change is in flight
  std::uint64_t change_retry_ms = 0;

  std::uint64_t restart_at_ms = 0; // a Failed group is restarted then (0: not scheduled)
  std::uint64_t restart_delay_ms = 1000;
};

std::uint64_t ConsensusHost::monotonic_ms() {
  // steady_clock is CLOCK_MONOTONIC on Linux (libstdc++), the clock the extension reads.
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

ConsensusHost::ConsensusHost(uv_loop_t *loop, const AgentConfig &config, NodeStore &store,
                             AgentMetrics &metrics, Links links)
    : loop_(loop), config_(config), store_(store), metrics_(metrics), links_(std::move(links)),
      self_(config.node_id), self_id_(c::raft_id(config.node_id)) {
  nodes_[self_id_] = self_;
}

ConsensusHost::~ConsensusHost() {
  stop();
}

void ConsensusHost::start() {
  if (timer_)
    return;
  boot_id_ = read_boot_id();
  if (boot_id_.empty())
    log_warn("cannot read /proc/sys/kernel/random/boot_id: leases cannot be published, so this "
             "node's database accepts no write on an elected shard");
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t *t) { static_cast<ConsensusHost *>(t->data)->tick(); }, kTickMs,
      kTickMs);
}

void ConsensusHost::stop() {
  if (timer_) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t *>(timer_),
             [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
    timer_ = nullptr;
  }
  // Each group's destructor closes libraft, outside any callback; requests still pending are
  // told Shutdown, and their callbacks look their shard up: the map is whole meanwhile.
  for (auto &[shard, h] : shards_)
    h->group.reset();
  shards_.clear();
  group_shard_.clear();
}

ConsensusHost::Hosted *ConsensusHost::find(const std::string &shard) {
  auto it = shards_.find(shard);
  return it == shards_.end() ? nullptr : it->second.get();
}

// A member's address is its node id; ids seen before (self, voters, senders) are remembered.
std::string ConsensusHost::node_of(std::uint64_t id, const Hosted *h) const {
  if (id == 0)
    return {};
  if (auto it = nodes_.find(id); it != nodes_.end())
    return it->second;
  if (h)
    for (const c::Member &m : h->configuration)
      if (m.id == id && c::raft_id(m.address) == id) {
        nodes_[id] = m.address;
        return m.address;
      }
  return {};
}

// --- the tick ------------------------------------------------------------------------------

void ConsensusHost::tick() {
  const std::uint64_t now = monotonic_ms();
  watch_database(now);
  if (now - last_poll_ms_ >= kPollMs && !poll_in_flight_) {
    last_poll_ms_ = now;
    poll_shards();
  }
  const bool slow = now - last_slow_ms_ >= kSlowMs;
  if (slow)
    last_slow_ms_ = now;
  for (auto it = shards_.begin(); it != shards_.end();) {
    Hosted &h = *it->second;
    if (h.group) {
      h.group->tick();
      if (h.closing) {
        h.group.reset();
        h.closing = false;
        h.role = c::Role::Unavailable;
        h.office.reset();
        h.changing = false;
        report_dirty_ = true;
      }
    }
    if (h.gone && !h.group) {
      retire_directory(h.shard);
      group_shard_.erase(h.group_id);
      it = shards_.erase(it);
      continue;
    }
    if (h.group && slow) {
      const c::GroupStatus s = h.group->status();
      h.configuration = s.configuration;
      h.configuration_committed = s.configuration_committed;
    }
    drive(h, now);
    ++it;
  }
  if (slow)
    count_roles();
  publish(now);
}

void ConsensusHost::drive(Hosted &h, std::uint64_t now) {
  apply_next_epoch(h, now);
  if (!h.group) {
    // Failed groups come back from their directory after a growing delay; groups stopped for
    // a database outage come back with it (watch_database).
    if (h.restart_at_ms != 0 && now >= h.restart_at_ms && !database_down_ && !h.gone) {
      h.restart_at_ms = 0;
      log_info("shard " + h.shard + ": restarting its consensus group from " +
               config_.consensus.directory + "/" + h.shard);
      start_group(h);
    }
    return;
  }
  if (h.role == c::Role::Failed && !h.closing) {
    const c::GroupStatus s = h.group->status();
    log_warn("shard " + h.shard + ": its consensus group failed (" + s.failure +
             "); restarting it from its directory in " + std::to_string(h.restart_delay_ms / 1000) +
             " s");
    h.group->stop();
    h.closing = true;
    h.restart_at_ms = now + h.restart_delay_ms;
    h.restart_delay_ms = std::min(h.restart_delay_ms * 2, kMaxRestartDelayMs);
    return;
  }
  if (h.closing)
    return;
  take_office(h, now);
  manage_membership(h, now);
}

// --- elected_shards ------------------------------------------------------------------------

void ConsensusHost::poll_shards() {
  poll_in_flight_ = true;
  store_.read_elected_shards(
      [this](const std::optional<std::string> &error, std::vector<ElectedShard> rows) {
        poll_in_flight_ = false;
        if (!timer_)
          return; // stopped meanwhile
        if (error) {
          if (!NodeStore::is_unreachable(*error))
            poll_problem_.failed(*error);
          return;
        }
        poll_problem_.succeeded();
        reconcile(std::move(rows));
      });
}

void ConsensusHost::reconcile(std::vector<ElectedShard> rows) {
  std::map<std::string, ElectedShard> wanted;
  for (ElectedShard &row : rows) {
    for (const std::string &v : row.voters)
      nodes_[c::raft_id(v)] = v;
    wanted[row.shard_id] = std::move(row);
  }
  for (auto &[shard, row] : wanted) {
    Hosted *h = find(shard);
    if (!h) {
      auto fresh = std::make_unique<Hosted>(config_.consensus.election_timeout_ms - kLeaseMarginMs);
      h = fresh.get();
      h->shard = shard;
      h->group_id = c::raft_group_id(shard);
      if (auto clash = group_shard_.find(h->group_id); clash != group_shard_.end()) {
        log_error("shards " + clash->second + " and " + shard +
                  " have the same Raft group id: " + shard + " gets no group");
        continue;
      }
      group_shard_[h->group_id] = shard;
      shards_[shard] = std::move(fresh);
      h->row = row;
      h->applied_term = static_cast<std::uint64_t>(std::max<std::int64_t>(row.term, 0));
      if (!database_down_)
        start_group(*h);
    }
    h->row = row;
    h->gone = false;
    h->applied_term =
        std::max(h->applied_term, static_cast<std::uint64_t>(std::max<std::int64_t>(row.term, 0)));
  }
  for (auto &[shard, h] : shards_)
    if (!wanted.count(shard) && !h->gone) {
      log_info("shard " + shard +
               " is no longer an elected shard held here: its consensus group stops and its "
               "directory is moved to " +
               config_.consensus.directory + "/retired/");
      h->gone = true;
      if (h->group) {
        h->group->stop();
        h->closing = true;
      }
    }
}

// A group whose shard this node no longer holds (dropped, or its replica closed) is over: its
// directory is moved to retired/<shard>.<unix ms>, kept for an operator, so that a shard
// created again with the same id starts a new group instead of replaying the old one's epochs.
void ConsensusHost::retire_directory(const std::string &shard) {
  namespace fs = std::filesystem;
  const fs::path from = fs::path(config_.consensus.directory) / shard;
  std::error_code ec;
  if (!fs::exists(from, ec))
    return;
  const fs::path to = fs::path(config_.consensus.directory) / "retired" /
                      (shard + "." + std::to_string(p::now_ms()));
  fs::create_directories(to.parent_path(), ec);
  if (!ec)
    fs::rename(from, to, ec);
  if (ec)
    log_warn("shard " + shard + ": cannot move its consensus directory " + from.string() +
             " aside to " + to.string() + ": " + ec.message() +
             "; a shard created again with this id would replay the old group");
}

void ConsensusHost::start_group(Hosted &h) {
  c::RaftGroupOptions o;
  o.group_id = h.group_id;
  o.self_id = self_id_;
  o.self_address = self_;
  o.directory = config_.consensus.directory + "/" + h.shard;
  // Only the primary of a shard that has no epoch yet starts the group, alone; every other node
  // waits, with an empty configuration, for a leader to add it. (A directory that holds a group
  // already ignores this.)
  if (h.row.kind == "primary" && h.row.term == 0)
    o.initial_configuration = {c::Member{self_id_, self_, c::MemberRole::Voter}};
  o.clock_ms = &ConsensusHost::monotonic_ms;
  o.timing.election_timeout_ms = static_cast<unsigned>(config_.consensus.election_timeout_ms);
  o.timing.heartbeat_ms = static_cast<unsigned>(config_.consensus.heartbeat_ms);
  o.timing.lease_margin_ms = kLeaseMarginMs;
  // An epoch is at most 114 bytes and the state machine is the history of the epochs, one per
  // failover (at most 950,278 bytes, below the links' default max_frame_bytes): compact often,
  // so that a lagging member's AppendEntries stays far below the links' max_frame_bytes.
  o.timing.snapshot_threshold = 64;
  o.timing.snapshot_trailing = 32;
  Hosted *hp = &h;
  c::GroupCallbacks cb;
  cb.send = [this, hp](std::uint64_t to, Bytes bytes) {
    const std::string node = node_of(to, hp);
    if (node.empty() || !links_.send(node, std::move(bytes))) {
      metrics_.raft_dropped("no-link");
      return;
    }
    metrics_.raft_message("out");
  };
  cb.apply = [this, hp](const c::CommittedEntry &entry) { on_apply(*hp, entry); };
  cb.snapshot = [hp]() { return c::encode_epoch_history(hp->history); };
  // Every epoch of the snapshot that this node has neither queued nor seen applied is queued,
  // in term order: a member that missed several epochs applies each of them, not only the
  // latest (its database refuses entries of a term whose epoch it lacks).
  cb.restore = [this, hp](const Bytes &data, std::uint64_t, std::uint64_t) {
    // A bad snapshot fails the group: it says why.
    const std::vector<c::Epoch> restored = c::decode_epoch_history(data);
    const std::vector<c::Epoch> queued =
        c::restore_epoch_history(hp->history, restored, hp->applied_term);
    hp->to_apply.insert(hp->to_apply.end(), queued.begin(), queued.end());
    if (!queued.empty()) {
      log_info("shard " + hp->shard + ": a consensus snapshot brought " +
               std::to_string(queued.size()) + " epochs to apply (terms " +
               std::to_string(queued.front().term) + " to " + std::to_string(queued.back().term) +
               ")");
      report_dirty_ = true;
    }
  };
  cb.leadership_changed = [this, hp](const c::LeadershipChange &change) {
    on_leadership(*hp, change);
  };
  cb.entries_discarded = [hp](std::uint64_t first, std::uint64_t count) {
    log_info("shard " + hp->shard + ": " + std::to_string(count) +
             " uncommitted consensus entries from index " + std::to_string(first) +
             " were discarded (a newer leader's log won)");
  };
  try {
    std::error_code ignored;
    std::filesystem::create_directories(config_.consensus.directory, ignored);
    h.group = c::make_raft_group(std::move(o), std::move(cb));
    h.group->start();
    h.configuration = h.group->status().configuration;
  } catch (const std::exception &e) {
    log_error("shard " + h.shard + ": cannot start its consensus group in " +
              config_.consensus.directory + "/" + h.shard + ": " + e.what());
    h.group.reset();
    h.restart_at_ms = monotonic_ms() + h.restart_delay_ms;
    h.restart_delay_ms = std::min(h.restart_delay_ms * 2, kMaxRestartDelayMs);
    return;
  }
  h.closing = false;
  report_dirty_ = true;
}

// --- the group's callbacks -----------------------------------------------------------------

void ConsensusHost::on_leadership(Hosted &h, const c::LeadershipChange &change) {
  const bool was_leader = h.role == c::Role::Leader;
  const bool is_leader = change.role == c::Role::Leader;
  if (is_leader && (!was_leader || change.term != h.term)) {
    h.leader_since_ms = monotonic_ms();
    h.office.reset();
    metrics_.election_won();
    log_info("shard " + h.shard + ": this node leads its consensus group in term " +
             std::to_string(change.term));
  } else if (was_leader && !is_leader) {
    h.office.reset();
    metrics_.leadership_lost();
    const std::string leader = node_of(change.leader_id, &h);
    log_info("shard " + h.shard + ": this node no longer leads its consensus group (term " +
             std::to_string(change.term) + ", now " + c::to_string(change.role) +
             (leader.empty() ? "" : ", leader " + leader) + ")");
  }
  if (change.role == c::Role::Failed && h.role != c::Role::Failed)
    h.restart_delay_ms = std::max<std::uint64_t>(h.restart_delay_ms, 1000);
  h.role = change.role;
  h.term = change.term;
  h.leader_id = change.leader_id;
  report_dirty_ = true;
}

// Each committed epoch, once per process lifetime of the group, in log order. Older or equal
// terms than the history's last (a replay after a restart reaches here only for entries after
// the snapshot) are skipped: apply_shard_epoch would say 'stale' or 'already' anyway.
void ConsensusHost::on_apply(Hosted &h, const c::CommittedEntry &entry) {
  c::Epoch e;
  try {
    e = c::decode_epoch(entry.data, entry.size);
  } catch (const c::EpochCodecError &error) {
    // Failing the group would fail it again at every replay: the entry is skipped, loudly.
    log_error("shard " + h.shard + ": committed consensus entry " + std::to_string(entry.index) +
              " is not an epoch (" + error.what() + "); skipped");
    return;
  }
  if (!c::record_epoch(h.history, e))
    return;
  h.to_apply.push_back(e);
  if (h.office.phase() == c::TakeOffice::Phase::Proposing && h.office.term() == e.term)
    h.office.committed();
  log_info("shard " + h.shard + ": epoch " + std::to_string(e.term) +
           " committed: " + e.primary_node + " appends after seq " + std::to_string(e.start_seq));
  report_dirty_ = true;
}

// --- taking office -------------------------------------------------------------------------

// Asks every other voter for the shard's entries (DB sync); each answer counts towards the
// majority the new leader needs before it reads its head.
void ConsensusHost::ask_members_to_sync(Hosted &h) {
  const std::string shard = h.shard;
  const std::uint64_t term = h.term;
  for (const c::Member &m : h.configuration) {
    if (m.id == self_id_ || m.role != c::MemberRole::Voter)
      continue;
    const std::string node = m.address;
    links_.ask_sync(node, shard, [this, shard, term, node](bool answered) {
      Hosted *again = find(shard);
      if (!again || again->office.term() != term)
        return;
      if (answered)
        again->office.sync_answered(node);
    });
  }
}

void ConsensusHost::take_office(Hosted &h, std::uint64_t now) {
  if (h.role != c::Role::Leader)
    return;
  const bool lease = h.group->is_leader_with_lease(now);
  const bool in_office = !h.history.empty() && h.history.back().term >= h.term;
  // Every committed epoch must be in the database before the head is read: a head read before
  // the previous epoch was applied may hold entries that epoch supersedes, and a start there
  // would leave the others unable to follow (MC013) and this node unable to write.
  const bool applied = h.to_apply.empty() && !h.applying;
  if (in_office || !lease || !applied || now < h.office_retry_ms) {
    if (!lease && h.office.phase() != c::TakeOffice::Phase::Idle &&
        h.office.phase() != c::TakeOffice::Phase::Proposing)
      h.office.reset(); // a leader without its lease must not read the head and propose
    return;
  }
  const std::string shard = h.shard;
  const std::uint64_t term = h.term;
  switch (h.office.phase()) {
  case c::TakeOffice::Phase::Idle:
  case c::TakeOffice::Phase::Done: {
    std::size_t voters = 0;
    for (const c::Member &m : h.configuration)
      voters += m.role == c::MemberRole::Voter;
    h.office.begin(term, h.leader_since_ms, std::max<std::size_t>(voters, 1), now);
    log_info("shard " + shard + ": taking office for term " + std::to_string(term) +
             ": syncing the shard from the linked members");
    ask_members_to_sync(h);
    break;
  }
  case c::TakeOffice::Phase::Syncing: {
    const c::TakeOffice::Action action = h.office.step(now);
    if (action == c::TakeOffice::Action::AskSync) {
      log_info("shard " + shard + ": taking office for term " + std::to_string(term) +
               ": no majority of the members answered yet (" +
               std::to_string(h.office.answers() + 1) + " with this node): asking again");
      ask_members_to_sync(h);
    }
    if (action != c::TakeOffice::Action::ReadHead)
      break;
  }
    store_.shard_head(shard, [this, shard, term](const std::optional<std::string> &error,
                                                 ShardHead head) {
      Hosted *again = find(shard);
      if (!again || !again->group || again->office.term() != term ||
          again->office.phase() != c::TakeOffice::Phase::ReadingHead)
        return;
      c::Hash32 hash{};
      try {
        if (!error)
          hash = hash_of(head.hash_hex);
      } catch (const std::exception &e) {
        log_error("shard " + shard + ": mycelium.shard_head returned a bad hash: " + e.what());
        again->office.failed();
        again->office_retry_ms = monotonic_ms() + kRetryMs;
        return;
      }
      if (error) {
        if (!NodeStore::is_unreachable(*error))
          log_warn("shard " + shard +
                   ": cannot read mycelium.shard_head to take office: " + *error);
        again->office.failed();
        again->office_retry_ms = monotonic_ms() + kRetryMs;
        return;
      }
      if (again->office.head_read(self_, head.seq, hash) != c::TakeOffice::Action::Propose)
        return;
      const c::Epoch epoch = again->office.epoch_to_propose();
      again->group->propose(c::encode_epoch(epoch),
                            [this, shard, epoch](const c::RequestOutcome &outcome) {
                              Hosted *h = find(shard);
                              if (!h || h->office.term() != epoch.term)
                                return;
                              if (outcome.ok()) {
                                h->office.committed();
                                return;
                              }
                              log_info("shard " + shard + ": epoch " + std::to_string(epoch.term) +
                                       " was not committed (" + c::to_string(outcome.error) + ": " +
                                       outcome.message + ")");
                              h->office.failed();
                              h->office_retry_ms = monotonic_ms() + kRetryMs;
                            });
    });
    break;
  case c::TakeOffice::Phase::ReadingHead:
  case c::TakeOffice::Phase::Proposing:
    break;
  }
}

// --- membership ----------------------------------------------------------------------------

// Only a leader in office (its own epoch committed) changes the configuration, and only to what
// its database lists (elected_shards.voters, known on the primary).
void ConsensusHost::manage_membership(Hosted &h, std::uint64_t now) {
  if (h.role != c::Role::Leader || h.changing || now < h.change_retry_ms || !h.row.voters_known ||
      !h.configuration_committed || h.history.empty() || h.history.back().term != h.term ||
      h.history.back().primary_node != self_ || !h.group->is_leader_with_lease(now))
    return;
  const c::MembershipStep step = c::next_membership_step(h.configuration, h.row.voters, self_);
  if (step.kind == c::MembershipStep::Kind::None)
    return;
  h.changing = true;
  const std::string shard = h.shard;
  const std::string node = node_of(step.id, &h).empty() ? step.address : node_of(step.id, &h);
  auto done = [this, shard, step, node](const c::RequestOutcome &outcome) {
    Hosted *again = find(shard);
    if (!again)
      return;
    again->changing = false;
    if (outcome.ok()) {
      log_info("shard " + shard + ": consensus membership: " + c::to_string(step.kind) + " " +
               node + " done");
      again->configuration =
          again->group ? again->group->status().configuration : again->configuration;
      return;
    }
    again->change_retry_ms = monotonic_ms() + kRetryMs;
    if (outcome.error != c::RequestError::Busy)
      log_info("shard " + shard + ": consensus membership: " + c::to_string(step.kind) + " " +
               node + " failed (" + c::to_string(outcome.error) + ": " + outcome.message +
               "); retrying");
  };
  switch (step.kind) {
  case c::MembershipStep::Kind::AddNonvoter:
    nodes_[step.id] = step.address;
    h.group->add_nonvoter(step.id, step.address, done);
    break;
  case c::MembershipStep::Kind::Promote:
    h.group->promote(step.id, done);
    break;
  case c::MembershipStep::Kind::Remove:
    h.group->remove(step.id, done);
    break;
  case c::MembershipStep::Kind::None:
    break;
  }
}

// --- epochs into the database --------------------------------------------------------------

void ConsensusHost::apply_next_epoch(Hosted &h, std::uint64_t now) {
  if (h.applying || h.to_apply.empty() || now < h.apply_retry_ms)
    return;
  const c::Epoch e = h.to_apply.front();
  h.applying = true;
  const std::string shard = h.shard;
  // The group's members (voters and standbys, spares are leaving) by node id: on the new
  // primary they become the shard's replicas, so its voters list keeps them.
  std::vector<std::string> members;
  for (const c::Member &m : h.configuration)
    if (m.role != c::MemberRole::Spare && !m.address.empty())
      members.push_back(m.address);
  store_.apply_shard_epoch(
      shard, e.term, e.primary_node, e.start_seq,
      e.start_seq == 0 ? to_hex(c::Hash32{}.data(), 32) : to_hex(e.start_hash.data(), 32),
      std::move(members),
      [this, shard, e](const std::optional<std::string> &error, EpochApplied applied) {
        Hosted *h = find(shard);
        if (!h)
          return;
        h->applying = false;
        if (error) {
          if (!NodeStore::is_unreachable(*error))
            h->apply_problem.failed("shard " + shard + ", epoch " + std::to_string(e.term) + ": " +
                                    *error);
          h->apply_retry_ms = monotonic_ms() + kRetryMs;
          return;
        }
        h->apply_problem.succeeded();
        if (!h->to_apply.empty() && h->to_apply.front() == e)
          h->to_apply.pop_front();
        h->applied_term = std::max(h->applied_term, e.term);
        if (applied.moved_aside > 0)
          log_warn("shard " + shard + ": epoch " + std::to_string(e.term) + " moved " +
                   std::to_string(applied.moved_aside) +
                   " entries of this node aside (superseded; see mycelium.moved_aside_entries)");
        if (applied.outcome == "primary" || applied.outcome == "replica")
          log_info("shard " + shard + ": epoch " + std::to_string(e.term) +
                   " applied to the database: this node is its " + applied.outcome);
        report_dirty_ = true;
      });
}

// --- leases --------------------------------------------------------------------------------

void ConsensusHost::publish(std::uint64_t now) {
  if (report_in_flight_ || boot_id_.empty() || shards_.empty())
    return;
  if (!report_dirty_ && now - last_report_ms_ < kReportMs)
    return;
  std::vector<ConsensusReport> reports;
  for (const auto &[shard, h] : shards_) {
    if (h->gone)
      continue; // its last entry runs out by itself
    // A term beyond a bigint (only a faulty or hostile peer gets a group there) would fail the
    // whole call, every other shard's lease with it: this group is left out, its lease runs out.
    if (h->term > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      continue;
    ConsensusReport r;
    r.shard_id = shard;
    r.term = h->term;
    r.leader = node_of(h->leader_id, h.get());
    r.lease_expires_ms = h->group && !h->closing ? h->group->lease_expires_ms(now) : 0;
    reports.push_back(std::move(r));
  }
  if (reports.empty())
    return;
  report_dirty_ = false;
  last_report_ms_ = now;
  report_in_flight_ = true;
  store_.report_consensus(std::move(reports), boot_id_,
                          [this](const std::optional<std::string> &error) {
                            report_in_flight_ = false;
                            if (!error)
                              report_problem_.succeeded();
                            else if (!NodeStore::is_unreachable(*error))
                              report_problem_.failed(*error);
                          });
}

// A leader whose database cannot be reached cannot write, yet its lease would keep every
// other node from leading: after kDatabaseDownMs the groups stop (followers too: a node that
// cannot apply epochs must not be elected), and start again from their directories once the
// database answers.
void ConsensusHost::watch_database(std::uint64_t now) {
  const Database::Reachability &db = store_.reachability();
  const std::int64_t wall = p::now_ms();
  if (!database_down_ && !db.reachable && wall - db.since_ms > kDatabaseDownMs) {
    database_down_ = true;
    int stopped = 0;
    for (auto &[shard, h] : shards_)
      if (h->group && !h->closing) {
        h->group->stop();
        h->closing = true;
        ++stopped;
      }
    if (stopped > 0)
      log_warn("the database has been unreachable for " +
               std::to_string((wall - db.since_ms) / 1000) +
               " s: stopping the consensus groups "
               "of " +
               std::to_string(stopped) +
               " elected shards so that other nodes lead them; "
               "they rejoin when it answers");
  } else if (database_down_ && db.reachable) {
    database_down_ = false;
    int started = 0;
    for (auto &[shard, h] : shards_)
      if (!h->group && !h->gone) {
        start_group(*h);
        ++started;
      }
    if (started > 0)
      log_info("the database answers again: " + std::to_string(started) +
               " consensus groups rejoin");
  }
  (void)now;
}

void ConsensusHost::count_roles() {
  std::map<std::string, int> roles{{"leader", 0},      {"follower", 0}, {"candidate", 0},
                                   {"unavailable", 0}, {"failed", 0},   {"stopped", 0}};
  for (const auto &[shard, h] : shards_)
    ++roles[h->group ? c::to_string(h->role) : "stopped"];
  for (const auto &[role, n] : roles)
    metrics_.set_consensus_groups(role, n);
}

// --- messages and status -------------------------------------------------------------------

void ConsensusHost::on_message(const std::string &peer, bool peer_is_validator, const Bytes &data) {
  if (!peer_is_validator) {
    metrics_.raft_dropped("non-validator");
    return;
  }
  auto g = group_shard_.find(c::peek_group_id(data));
  Hosted *h = g == group_shard_.end() ? nullptr : find(g->second);
  if (!h || !h->group || h->closing) {
    metrics_.raft_dropped("unknown-group");
    return;
  }
  const std::uint64_t from = c::raft_id(peer);
  nodes_.emplace(from, peer);
  // A node waiting to be added has no configuration yet. It hears only from the shard's
  // primary as its database names it (the node that opened the replica, or the latest epoch's
  // primary): that is the leader that adds it. Any other validator could otherwise install a
  // configuration of its choosing and commit forged epochs here (review finding).
  if (h->configuration.empty()) {
    h->configuration = h->group->status().configuration;
    if (h->configuration.empty() && peer != h->row.primary_node) {
      metrics_.raft_dropped("not-the-primary");
      return;
    }
  }
  // Once it has one, only members are heard.
  if (!h->configuration.empty() && std::none_of(h->configuration.begin(), h->configuration.end(),
                                                [&](const c::Member &m) { return m.id == from; })) {
    // The configuration cache may be a tick old: look at the group's own before dropping.
    h->configuration = h->group->status().configuration;
    if (std::none_of(h->configuration.begin(), h->configuration.end(),
                     [&](const c::Member &m) { return m.id == from; })) {
      metrics_.raft_dropped("non-member");
      return;
    }
  }
  std::string why;
  if (!h->group->deliver(from, data, &why)) {
    metrics_.raft_dropped("rejected");
    log_debug("shard " + h->shard + ": Raft message from " + peer + " rejected: " + why);
    return;
  }
  metrics_.raft_message("in");
}

std::vector<ConsensusGroupStatus> ConsensusHost::status() const {
  const std::uint64_t now = monotonic_ms();
  std::vector<ConsensusGroupStatus> out;
  for (const auto &[shard, h] : shards_) {
    ConsensusGroupStatus s;
    s.shard = shard;
    s.role = h->group && !h->closing ? c::to_string(h->role) : "stopped";
    s.term = h->term;
    s.leader = node_of(h->leader_id, h.get());
    const std::uint64_t end = h->group && !h->closing ? h->group->lease_expires_ms(now) : 0;
    s.lease_remaining_ms = end > now ? static_cast<std::int64_t>(end - now) : 0;
    if (!h->history.empty()) {
      s.epoch_term = h->history.back().term;
      s.epoch_primary = h->history.back().primary_node;
      s.epoch_start_seq = h->history.back().start_seq;
    }
    s.applied_term = h->applied_term;
    s.taking_office = c::to_string(h->office.phase());
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace mycelium::agent
