// Replay protection for incoming envelopes (schemas/PROTOCOL.md, "Replay protection"): a
// message is accepted only if its timestamp is within `window` of the receiver's clock and its
// (sender_id, nonce) has not been accepted before. A nonce only needs remembering while a
// message carrying it could still pass the time check, i.e. until timestamp + window, so
// memory is bounded by the message rate times the window, and capped below.
//
// Pure and deterministic: the caller passes the time. Not thread-safe (one per connection
// thread, or guard it with a mutex).
#pragma once

#include "mycelium/protocol/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace mycelium::protocol {

class ReplayGuard {
public:
  struct Limits {
    std::int64_t window_ms = 30'000;
    // Nonces remembered for one sender: 10000 per 30 s is over 300 messages/s from one peer.
    std::size_t max_per_sender = 10'000;
    // Nonces remembered in total (about 100 bytes each).
    std::size_t max_total = 200'000;
  };

  ReplayGuard() = default;
  explicit ReplayGuard(Limits limits) : limits_(limits) {}

  // Stale when |now_ms - timestamp_ms| > window. Cheap and stateless: run it before verifying
  // the signature.
  std::optional<RejectReason> check_time(std::int64_t timestamp_ms, std::int64_t now_ms) const;

  // The full check, and on success remembers the nonce. Call it after the signature has
  // verified, so that forged messages cannot use up a sender's quota. Returns Stale, Replayed
  // or Overloaded (a cap is reached: the message is dropped and not remembered, because
  // forgetting an earlier nonce to make room would let that message be replayed).
  std::optional<RejectReason> accept(std::string_view sender_id, const Nonce &nonce,
                                     std::int64_t timestamp_ms, std::int64_t now_ms);
  std::optional<RejectReason> accept(const Envelope &envelope, std::int64_t now_ms) {
    return accept(envelope.sender_id, envelope.nonce, envelope.timestamp_ms, now_ms);
  }

  // Forgets every nonce whose message would now be stale. accept() calls it; a caller with a
  // quiet connection may call it from a timer to free memory early.
  void expire(std::int64_t now_ms);

  std::size_t size() const { return seen_.size(); }
  std::size_t size(std::string_view sender_id) const;
  const Limits &limits() const { return limits_; }

private:
  Limits limits_;
  // Key: sender_id followed by the 16 nonce bytes (the fixed-length suffix keeps keys unique).
  std::unordered_set<std::string> seen_;
  // Forget time (timestamp + window) -> key, oldest first.
  std::multimap<std::int64_t, std::string> expiry_;
  std::unordered_map<std::string, std::size_t> per_sender_;
  // The latest now_ms seen: nonces are forgotten by it, so a clock that steps back cannot
  // revive a forgotten nonce.
  std::int64_t high_water_ms_ = std::numeric_limits<std::int64_t>::min();
};

} // namespace mycelium::protocol
