// Peer scores (the model is libp2p gossipsub v1.1): each offence a peer commits lowers its
// score by the offence's weight; the score decays exponentially back toward 0 with a fixed
// half-life; once it is at or below -ban_threshold the peer should be disconnected and
// blacklisted (Blacklist::ban, blacklist_policy.hpp). A threshold instead of an instant ban
// lets an honest peer survive a rare fault (a corrupted frame) while a peer that keeps
// misbehaving crosses it quickly.
//
// Scores are never positive: good behaviour earns nothing, it only lets penalties fade. Decay
// is applied lazily from the time elapsed since the last update, so nothing runs on a timer.
// Pure and deterministic: the caller passes the time. Not thread-safe.
#pragma once

#include "mycelium/protocol/envelope.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mycelium::p2p {

enum class Offence {
  InvalidSignature,  // an envelope, gossip or record signature that does not verify
  Malformed,         // a frame that does not decode (PROTOCOL.md "Checks on receipt")
  ProtocolViolation, // well-formed but not allowed: wrong sender_id, unsolicited reply, ...
  Replay,            // a replayed or stale envelope
  RateLimited,       // more requests than the per-peer limit allows
};
inline constexpr std::size_t kOffenceCount = 5;

// "invalid-signature", "malformed", ...: stable names for logs and metrics labels.
const char *to_string(Offence offence);

// What a rejected message counts as against its sender (PROTOCOL.md "Peer scores"); nullopt for
// UnknownMessage and Overloaded, which are nobody's fault. Undecryptable closes the link instead.
std::optional<Offence> offence_of(protocol::RejectReason reason);

struct ScoreParams {
  // Penalty per offence, indexed by Offence. Non-negative and finite.
  std::array<double, kOffenceCount> weights{{
      50.0, // InvalidSignature: two and the peer is banned
      25.0, // Malformed
      20.0, // ProtocolViolation
      10.0, // Replay
      5.0,  // RateLimited
  }};
  // A penalty halves in this time. > 0.
  std::int64_t half_life_ms = 10 * 60 * 1000;
  // should_ban() once score <= -ban_threshold (inclusive). > 0.
  double ban_threshold = 100.0;
  // Peers tracked at once (> 0). When full, a new peer's record replaces the least negative
  // one (ties: the smallest peer id), so memory stays bounded whatever peers do.
  std::size_t max_peers = 10'000;
  // A score decayed above -forget_below is treated as 0 and its record dropped. >= 0.
  double forget_below = 0.01;

  double weight(Offence offence) const { return weights[static_cast<std::size_t>(offence)]; }
};

class PeerScores {
public:
  // Throws Error 22023 if a parameter is out of range.
  explicit PeerScores(ScoreParams params = {});

  // Applies decay up to now_ms, subtracts the offence's weight and returns the new score.
  double penalize(std::string_view peer, Offence offence, std::int64_t now_ms);
  // The decayed score at now_ms (0 for an unknown peer). A now_ms earlier than the last
  // update is treated as equal to it: a clock stepping back never deepens a score.
  double score(std::string_view peer, std::int64_t now_ms) const;
  bool should_ban(std::string_view peer, std::int64_t now_ms) const;
  // Drops a peer's record (after it has been banned, or when it disconnects for good).
  void forget(std::string_view peer);
  // Drops every record whose score has decayed to (treated as) 0.
  void prune(std::int64_t now_ms);

  std::size_t size() const { return scores_.size(); }
  const ScoreParams &params() const { return params_; }

private:
  struct Entry {
    double score = 0; // at updated_ms
    std::int64_t updated_ms = 0;
  };
  double decayed(const Entry &entry, std::int64_t now_ms) const;
  void make_room(std::int64_t now_ms);

  ScoreParams params_;
  std::unordered_map<std::string, Entry> scores_;
};

} // namespace mycelium::p2p
