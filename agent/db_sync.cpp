#include "db_sync.hpp"

#include "mycelium/protocol/envelope.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

namespace mycelium::agent {

namespace p = mycelium::protocol;

void DbSync::on_tick(ConnId id, const std::string &peer, bool peer_is_validator, bool round_due,
                     std::int64_t now_ms) {
  auto it = pending_.find(id);
  // A peer that keeps the link alive but never answers must not stall its shards for ever.
  if (it != pending_.end() && now_ms - it->second.requested_ms > stale_after_ms()) {
    log_warn("no answer from " + peer + " to a DB sync request in " +
             std::to_string((now_ms - it->second.requested_ms) / 1000) + " s: asking again");
    pending_.erase(it);
    it = pending_.end();
  }
  if (round_due && peer_is_validator && it == pending_.end())
    ask(id, peer, now_ms);
}

// Asks a validator peer for the audit entries of the shards this node replicates from it,
// after the last entry this node holds.
void DbSync::ask(ConnId id, const std::string &peer, std::int64_t now_ms) {
  pending_[id] = Request{peer, now_ms, {}};
  store_.replica_cursors(peer, [this, id](const std::optional<std::string> &error,
                                          std::vector<p::SyncCursor> cursors) {
    auto it = pending_.find(id);
    if (it == pending_.end())
      return; // the link closed meanwhile
    if (error || cursors.empty()) {
      pending_.erase(it);
      if (error) {
        if (!NodeStore::is_unreachable(*error))
          cursors_problem_.failed(*error);
      } else {
        cursors_problem_.succeeded();
        note_round(); // nothing to replicate from this peer: the round is complete
      }
      return;
    }
    cursors_problem_.succeeded();
    it->second.shards.clear();
    for (const p::SyncCursor &cursor : cursors)
      it->second.shards.push_back(cursor.shard_id);
    if (!send_(id, p::DBSyncReq{next_request_id_++, std::move(cursors), page_size_}))
      pending_.erase(id);
  });
}

// Answers with the entries after each cursor, in seq order, at most page_size in all (capped at
// 5000: the asker's page size is its wish, not a command).
void DbSync::on_request(ConnId id, const p::DBSyncReq &request) {
  const std::uint32_t page =
      std::min<std::uint32_t>(request.page_size ? request.page_size : 1, 5000);
  const std::uint64_t request_id = request.request_id;
  store_.changes_after(
      request.cursors, page,
      [this, id, request_id](const std::optional<std::string> &error, SyncPage found) {
        p::DBSyncResp response{request_id, std::move(found.entries), found.more};
        if (error) {
          if (!NodeStore::is_unreachable(*error))
            serve_problem_.failed(*error);
          // An empty last page: the asker's round ends and it asks again next round.
          response.entries.clear();
          response.more = false;
        } else {
          serve_problem_.succeeded();
        }
        send_(id, std::move(response));
      });
}

void DbSync::forget(ConnId id) {
  pending_.erase(id);
  for (auto it = targeted_.begin(); it != targeted_.end();) {
    if (it->second.link != id) {
      ++it;
      continue;
    }
    Answered done = std::move(it->second.done);
    it = targeted_.erase(it);
    if (done)
      done(false);
  }
}

void DbSync::ask_shard(ConnId id, const std::string &peer, const std::string &shard,
                       Answered done) {
  const std::uint64_t request_id = next_request_id_++;
  targeted_[request_id] = Targeted{id, peer, shard, std::move(done)};
  ask_targeted(request_id);
}

// Reads this node's head of the shard and asks for what follows it; again after each page that
// said `more`, under a new request id.
void DbSync::ask_targeted(std::uint64_t request_id) {
  auto it = targeted_.find(request_id);
  if (it == targeted_.end())
    return;
  store_.shard_cursor(
      it->second.shard, it->second.peer,
      [this, request_id](const std::optional<std::string> &error, p::SyncCursor cursor) {
        auto it = targeted_.find(request_id);
        if (it == targeted_.end())
          return; // the link closed meanwhile
        if (error ||
            !send_(it->second.link, p::DBSyncReq{request_id, {std::move(cursor)}, page_size_})) {
          Answered done = std::move(it->second.done);
          targeted_.erase(it);
          if (done)
            done(false);
        }
      });
}

void DbSync::on_targeted_response(std::uint64_t request_id, p::DBSyncResp response) {
  auto entries = std::make_shared<const std::vector<p::AuditEntry>>(std::move(response.entries));
  const bool more = response.more;
  store_.apply_entries(entries, [this, request_id, more](const std::optional<std::string> &error,
                                                         long long refused) {
    auto it = targeted_.find(request_id);
    if (it == targeted_.end())
      return;
    Targeted target = std::move(it->second);
    targeted_.erase(it);
    if (error && !NodeStore::is_unreachable(*error))
      apply_problem_.failed(*error);
    if (!error && refused > 0) {
      metrics_.message_rejected("inbox-refused");
      log_warn("the inbox refused " + std::to_string(refused) + " entries of " + target.shard +
               " from " + target.peer + " (see mycelium.inbox_rejections)");
    }
    if (!error && more && refused == 0) {
      const std::uint64_t next = next_request_id_++;
      targeted_[next] = std::move(target);
      ask_targeted(next);
      return;
    }
    if (target.done)
      target.done(!error);
  });
}

// Applies a page through the extension's verifying inbox (the same path as the fdw push): the
// database checks every entry; the agent trusts nothing it received.
void DbSync::on_response(ConnId id, p::DBSyncResp response) {
  if (auto t = targeted_.find(response.request_id); t != targeted_.end() && t->second.link == id) {
    on_targeted_response(response.request_id, std::move(response));
    return;
  }
  auto entries = std::make_shared<const std::vector<p::AuditEntry>>(std::move(response.entries));
  const bool more = response.more;
  store_.apply_entries(entries, [this, id, entries, more](const std::optional<std::string> &error,
                                                          long long refused) {
    auto it = pending_.find(id);
    if (it == pending_.end())
      return; // the link closed meanwhile, or the request was given up as stale
    const Request request = std::move(it->second);
    pending_.erase(it);
    if (error) {
      if (!NodeStore::is_unreachable(*error))
        apply_problem_.failed(*error);
      return;
    }
    apply_problem_.succeeded();
    if (refused > 0) {
      metrics_.message_rejected("inbox-refused");
      log_warn("the inbox refused " + std::to_string(refused) + " entries from " + request.peer +
               " (see mycelium.inbox_rejections)");
    }
    // The primary serves the cursors in order and stops when the page is full: the shards
    // before the last one in the page were served to their end; the rest may not be.
    const std::string last = entries->empty() ? "" : entries->back().shard_id;
    bool behind = false;
    for (const std::string &shard : request.shards) {
      if (more && (shard == last || last.empty()))
        behind = true;
      metrics_.set_sync_behind(shard, behind);
      shard_behind_[shard] = behind;
    }
    note_round();
    if (more && refused == 0)
      ask(id, request.peer, protocol::now_ms());
  });
}

void DbSync::note_round() {
  last_round_ = std::chrono::system_clock::now();
  last_round_ms_ = protocol::now_ms();
}

double DbSync::progress() const {
  if (shard_behind_.empty())
    return last_round_ ? 1.0 : 0.0;
  std::size_t caught_up = 0;
  for (const auto &[shard, behind] : shard_behind_)
    caught_up += !behind;
  return static_cast<double>(caught_up) / static_cast<double>(shard_behind_.size());
}

} // namespace mycelium::agent
