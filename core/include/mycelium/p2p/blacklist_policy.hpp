// The blacklist: which nodes this node refuses to talk to, and why.
//
// Two sources:
//   - local bans: this node's own decision (PeerScores::should_ban), for a period;
//   - shared entries: BlacklistEntry values (messages.hpp) received in BlacklistSync, each
//     signed by the validator that made it (PROTOCOL.md "BlacklistSync").
//
// A shared entry is accepted (stored and relayed) only if its creator is, at that moment, a
// registered, active validator and the signature verifies with the creator's registered key.
// Accepting an entry does not ban anyone by itself: a node is banned by shared entries once
// the active validators vouching for a live entry against it hold at least `stake_share` of
// the total active validator stake AND number at least `min_validators`. The rule is >=: with
// stake_share 1/3, exactly one third of the stake is enough. Stakes and activity are read from
// the registry at the time of the question, so a validator that becomes inactive stops
// counting at once. With no active validator stake at all, shared entries ban no one.
//
// Expiry (expires_at_ms; 0 = never) is exclusive: an entry stops counting at its expiry time.
// Pure and deterministic: the caller passes the time. Not thread-safe.
#pragma once

#include "mycelium/p2p/registry.hpp"
#include "mycelium/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::p2p {

struct BlacklistPolicy {
  // stake_num / stake_den of the total active validator stake must vouch (>=). 0 < num <= den.
  std::uint64_t stake_num = 1;
  std::uint64_t stake_den = 3;
  // And at least this many distinct active validators (>= 1).
  std::size_t min_validators = 1;
  // Shared entries held at once (each node_id x created_by pair is one entry). When full, new
  // entries are refused (Full) rather than evicting ones already counted.
  std::size_t max_entries = 10'000;
  // Entries stamped further than this in the future of our clock are refused (FromFuture).
  std::int64_t max_clock_skew_ms = 60'000;
  // After lift(), entries against that node created at or before the lift are refused for
  // this long, so that peers re-sending them cannot undo the lift.
  std::int64_t lift_memory_ms = 7LL * 24 * 3600 * 1000;
};

enum class OfferResult {
  Accepted,        // stored (new, or a newer entry from the same creator for the same node)
  Duplicate,       // exactly this entry is already held
  Superseded,      // an entry from the same creator against the same node with a later
                   // created_at_ms is held
  Expired,         // expires_at_ms <= now
  FromFuture,      // created_at_ms > now + max_clock_skew_ms
  Malformed,       // empty node_id or created_by, or expires_at_ms <= created_at_ms
  UnknownCreator,  // created_by is not registered
  InactiveCreator, // registered but not active
  NotValidator,    // active but not a validator
  BadSignature,    // does not verify with created_by's registered key
  Lifted,          // created at or before a lift() of its node
  Full,            // max_entries reached
};
// "accepted", "bad-signature", ...
const char *to_string(OfferResult result);
// Whether the result is the sending peer's fault (to feed PeerScores): BadSignature and
// Malformed are; the others are expected in normal operation (races, clocks, registry lag).
bool is_offence(OfferResult result);

struct BanStatus {
  bool banned = false;
  bool local = false;              // a local ban is in force
  std::int64_t local_until_ms = 0; // when it ends
  std::string local_reason;
  std::uint64_t vouching_stake = 0; // active validator stake behind live shared entries
  std::uint64_t total_stake = 0;    // all active validator stake
  std::size_t vouching_validators = 0;
};

class Blacklist {
public:
  // `registry` must outlive the Blacklist. Throws Error 22023 for an invalid policy.
  Blacklist(const NodeRegistry &registry, BlacklistPolicy policy = {});

  // A local ban until `until_ms` (exclusive). A longer ban already in force is kept.
  void ban(std::string_view node_id, std::int64_t until_ms, std::string reason);

  // A shared entry (received, or made by this node as a validator and signed with
  // protocol::sign_blacklist_entry). Checks, in this order: shape, time, duplicate, creator,
  // signature, lift, supersession, capacity.
  OfferResult offer(const protocol::BlacklistEntry &entry, std::int64_t now_ms);

  bool is_banned(std::string_view node_id, std::int64_t now_ms) const;
  BanStatus status(std::string_view node_id, std::int64_t now_ms) const;

  // The live shared entries to send in BlacklistSync, ordered by (node_id, created_by). Each
  // keeps its creator's signature; entries whose creator is no longer an active validator
  // are not passed on.
  std::vector<protocol::BlacklistEntry> entries_to_share(std::int64_t now_ms) const;

  // Lifts every ban of the node: the local ban and all shared entries against it (see
  // BlacklistPolicy::lift_memory_ms).
  void lift(std::string_view node_id, std::int64_t now_ms);

  // Drops expired entries, local bans and lift records. offer() calls it when full.
  void expire(std::int64_t now_ms);

  std::size_t shared_entries() const { return count_; }
  std::size_t local_bans() const { return local_.size(); }
  const BlacklistPolicy &policy() const { return policy_; }

private:
  struct LocalBan {
    std::int64_t until_ms = 0;
    std::string reason;
  };
  struct Lift {
    std::int64_t lifted_at_ms = 0;
    std::int64_t forget_at_ms = 0;
  };

  const NodeRegistry &registry_;
  BlacklistPolicy policy_;
  std::map<std::string, LocalBan, std::less<>> local_;
  // node_id -> created_by -> entry
  std::map<std::string, std::map<std::string, protocol::BlacklistEntry, std::less<>>, std::less<>>
      shared_;
  std::size_t count_ = 0;
  std::map<std::string, Lift, std::less<>> lifts_;
};

} // namespace mycelium::p2p
