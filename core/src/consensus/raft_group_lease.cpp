#include "raft_group_impl.hpp"

#include <algorithm>
#include <functional>
#include <vector>

namespace mycelium::consensus::detail {

// A new leader's first entry is a barrier of its own term, proposed before libraft sees
// another message. libraft 0.15 decides commitment by counting replicas of the leader's last
// stored entry, whatever its term (replicationQuorum; canonical/raft 524f735, fixed in 0.17.1):
// a leader whose last entry is from an earlier term could declare it committed by counting,
// the unsafe case of Raft's figure 8, and lose it to a later leader. With the barrier stored
// first, the counted entry is always of the current term. The barrier's application also tells
// the lease that everything committed before this term has been applied here.
void RaftGroup::open_term_if_new_leader() {
  if (!running() || raft_.state != RAFT_LEADER || barrier_term_ == raft_.current_term)
    return;
  barrier_term_ = raft_.current_term;
  auto *request = new BarrierRequest{{}, this, raft_.current_term};
  request->req.data = request;
  int rv = raft_barrier(&raft_, &request->req, [](struct raft_barrier *req, int status) {
    auto *r = static_cast<BarrierRequest *>(req->data);
    r->group->complete_term_barrier(r, status);
  });
  if (rv != 0)
    delete request; // not leader any more, or the disk failed: nothing to open
}

void RaftGroup::complete_term_barrier(BarrierRequest *request, int status) {
  if (status == 0 && request->term == raft_.current_term)
    ready_term_ = request->term;
  delete request;
}

// Only a follower's AppendEntries answer in our term proves that it follows us: it reset its
// election timer and refuses other candidates until that timer runs out. A vote does not (the
// voter may grant a vote in a later term before it hears from us as leader).
void RaftGroup::note_acknowledgement(std::uint64_t from, const RaftMessageBody &body) {
  const auto *result = std::get_if<AppendEntriesResult>(&body);
  if (result == nullptr || result->term != raft_.current_term)
    return;
  acknowledgements_[from] = Acknowledgement{result->term, options_.clock_ms()};
}

// The lease ends when the majority's freshest acknowledgements run out: each voter's
// acknowledgement is good until its receipt + lease_ms (this node's own "acknowledgement" is
// now), and the lease lasts as long as a majority of them does, that is until the
// (majority)-th latest end. is_leader_with_lease() is lease_expires_ms() > now by construction.
std::uint64_t RaftGroup::lease_expires_ms(std::uint64_t now_ms) const {
  if (!running() || stop_requested_ || raft_.state != RAFT_LEADER || raft_.transfer != nullptr ||
      ready_term_ != raft_.current_term)
    return 0;
  const RaftTiming &t = options_.timing;
  const std::uint64_t lease_ms =
      t.election_timeout_ms > t.lease_margin_ms ? t.election_timeout_ms - t.lease_margin_ms : 0;
  std::vector<std::uint64_t> ends; // one per voter whose acknowledgement is still running
  unsigned voters = 0;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server &server = raft_.configuration.servers[i];
    if (server.role != RAFT_VOTER)
      continue;
    ++voters;
    if (server.id == options_.self_id) {
      ends.push_back(now_ms + lease_ms);
      continue;
    }
    auto it = acknowledgements_.find(server.id);
    if (it != acknowledgements_.end() && it->second.term == raft_.current_term &&
        now_ms >= it->second.at_ms && now_ms - it->second.at_ms < lease_ms)
      ends.push_back(it->second.at_ms + lease_ms);
  }
  const std::size_t majority = voters / 2 + 1;
  if (voters == 0 || ends.size() < majority)
    return 0;
  std::sort(ends.begin(), ends.end(), std::greater<std::uint64_t>());
  const std::uint64_t end = ends[majority - 1];
  return end > now_ms ? end : 0;
}

bool RaftGroup::is_leader_with_lease(std::uint64_t now_ms) const {
  return lease_expires_ms(now_ms) > now_ms;
}

} // namespace mycelium::consensus::detail
