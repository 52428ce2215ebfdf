// DB sync (PROTOCOL.md "DB sync"): a replica pulls the audit entries of the shards it replicates
// from their primary's agent. This side asks (DBSyncReq with its cursors, after a round is due),
// serves what peers ask (the entries after each cursor, a page at a time) and applies what it
// receives through the extension's verifying inbox, which trusts nothing the agent hands it.
// Owns the per-link request in flight, the per-shard "behind" state and the round times that
// /health and /status report.
#pragma once

#include "log.hpp"
#include "metrics.hpp"
#include "node_status.hpp"
#include "node_store.hpp"
#include "transport.hpp"

#include "mycelium/protocol/messages.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::agent {

class DbSync {
public:
  // Sends a message on a link; false when the link is gone.
  using Send = std::function<bool(ConnId, protocol::Payload)>;

  DbSync(NodeStore &store, AgentMetrics &metrics, std::uint32_t page_size, std::int64_t interval_ms,
         Send send)
      : store_(store), metrics_(metrics), page_size_(page_size), interval_ms_(interval_ms),
        send_(std::move(send)) {}

  // Each tick, for each established link: asks a validator peer for its entries when a round is
  // due and no request is in flight; a request unanswered for stale_after_ms() is given up.
  void on_tick(ConnId id, const std::string &peer, bool peer_is_validator, bool round_due,
               std::int64_t now_ms);
  // A peer's DBSyncReq: answered from this node's audit log.
  void on_request(ConnId id, const protocol::DBSyncReq &request);
  // A DBSyncResp to our request: applied through the inbox; asks on at once if there is more.
  void on_response(ConnId id, protocol::DBSyncResp response);
  // The link closed: its request in flight is forgotten, and a targeted ask on it ends
  // unanswered.
  void forget(ConnId id);

  // A targeted ask (taking office, schemas/CONSENSUS.md): the entries of `shard` that `peer`
  // holds after this node's head, whoever the shard's primary is, page after page until the
  // peer has no more. `done(true)` when the peer answered its last page (whether or not the
  // inbox took every entry: the inbox has the last word), `done(false)` when the link closed or
  // a statement failed. Matched by request id, so it runs beside the link's periodic round.
  using Answered = std::function<void(bool answered)>;
  void ask_shard(ConnId id, const std::string &peer, const std::string &shard, Answered done);

  // Ten rounds, and never less than 5 s: a round that took this long is not slow, it is stuck.
  std::int64_t stale_after_ms() const { return std::max<std::int64_t>(5000, 10 * interval_ms_); }
  // The last completed round (Unix ms; 0: none yet), and as a status time.
  std::int64_t last_round_ms() const { return last_round_ms_; }
  const std::optional<NodeStatus::Time> &last_round() const { return last_round_; }
  // The fraction of replicated shards whose latest round fetched everything; before any shard is
  // known, whether a round has completed at all (nothing synced yet is 0, not "complete").
  double progress() const;

private:
  struct Request {
    std::string peer;
    std::int64_t requested_ms = 0;
    std::vector<std::string> shards; // the cursors' shards, in order (none until sent)
  };
  struct Targeted {
    ConnId link = 0;
    std::string peer;
    std::string shard;
    Answered done;
  };
  void ask(ConnId id, const std::string &peer, std::int64_t now_ms);
  void ask_targeted(std::uint64_t request_id);
  void on_targeted_response(std::uint64_t request_id, protocol::DBSyncResp response);
  void note_round();

  NodeStore &store_;
  AgentMetrics &metrics_;
  std::uint32_t page_size_;
  std::int64_t interval_ms_;
  Send send_;
  std::map<ConnId, Request> pending_;          // our request in flight, per link
  std::map<std::string, bool> shard_behind_;   // shard -> the latest round did not fetch all
  std::map<std::uint64_t, Targeted> targeted_; // request id -> a targeted ask in flight
  std::int64_t last_round_ms_ = 0;
  std::optional<NodeStatus::Time> last_round_;
  std::uint64_t next_request_id_ = 1;
  // Statements that run every round: each failure episode logged once, and its end.
  RepeatedProblem cursors_problem_{"cannot read the DB sync cursors (mycelium.chain_heads)"};
  RepeatedProblem serve_problem_{"cannot serve DB sync requests (mycelium.audit_log)"};
  RepeatedProblem apply_problem_{"cannot apply synced entries (mycelium.inbox)"};
};

} // namespace mycelium::agent
