// Epidemic dissemination, the pure parts: which gossip messages have been handled already,
// which peers a message goes to next, and how far it may still travel.
//
// A node that receives a Gossip (PROTOCOL.md "Gossip") verifies its origin signature first
// (protocol::verify_gossip), then asks SeenMessages whether it is new; only a new message is
// handled and relayed, to choose_fanout() peers other than the one it came from, with the ttl
// that relay_ttl() gives.
//
// Pure and deterministic: the caller passes the time and the random source. Not thread-safe.
#pragma once

#include "mycelium/protocol/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::p2p {

enum class SeenResult {
  New,       // handle and relay it; it is now remembered
  Duplicate, // handled before: drop silently (normal in a flood)
  Stale,     // origin_timestamp_ms outside [now - retention, now + max_future]: drop
};
const char *to_string(SeenResult result);

// Message-id de-duplication. A message is accepted only while its origin timestamp is within
// `retention_ms` of our clock, and its id is remembered until origin_timestamp + retention, so
// a replay after the id is forgotten is Stale anyway. Memory is capped: when full, the id
// closest to being forgotten is forgotten early (counted in evicted()); a replay of that id
// before it goes stale would be handled a second time. Refusing new messages instead would let
// a flood silence the network, and double handling is harmless to idempotent handlers.
class SeenMessages {
public:
  struct Limits {
    std::int64_t retention_ms = 120'000;
    std::int64_t max_future_ms = 30'000; // origin clocks a little ahead of ours
    std::size_t max_entries = 100'000;   // about 100 bytes each
  };

  SeenMessages() : SeenMessages(Limits{}) {}
  // Throws Error 22023 if retention_ms <= 0, max_future_ms < 0 or max_entries == 0.
  explicit SeenMessages(Limits limits);

  SeenResult observe(const protocol::MessageId &id, std::int64_t origin_timestamp_ms,
                     std::int64_t now_ms);
  SeenResult observe(const protocol::Gossip &gossip, std::int64_t now_ms) {
    return observe(gossip.message_id, gossip.origin_timestamp_ms, now_ms);
  }
  bool contains(const protocol::MessageId &id) const { return seen_.count(id) != 0; }
  // Forgets the ids whose messages are stale at now_ms. observe() calls it.
  void expire(std::int64_t now_ms);

  std::size_t size() const { return seen_.size(); }
  std::uint64_t evicted() const { return evicted_; }

private:
  Limits limits_;
  std::map<protocol::MessageId, std::int64_t> seen_;                // id -> forget time
  std::multimap<std::int64_t, protocol::MessageId> by_forget_time_; // oldest first
  std::uint64_t evicted_ = 0;
  std::int64_t high_water_ms_ = std::numeric_limits<std::int64_t>::min(); // latest now_ms seen
};

// Uniform 64-bit random values (for example randombytes_random() twice, or a seeded PRNG in
// tests).
using RandomSource = std::function<std::uint64_t()>;

// A uniform value in [0, bound) by rejection sampling, so the result does not depend on the
// standard library (std::uniform_int_distribution differs between implementations).
// bound must be > 0.
std::uint64_t uniform_below(std::uint64_t bound, const RandomSource &random);

// Up to `fanout` distinct peers chosen uniformly from `peers` (duplicates count once),
// leaving out every id in `exclude` (the peer the message came from, its origin). The result
// is in the order drawn; the same peers, exclude and random sequence give the same result.
std::vector<std::string> choose_fanout(const std::vector<std::string> &peers, std::size_t fanout,
                                       const std::vector<std::string_view> &exclude,
                                       const RandomSource &random);

// The ttl to relay a message with, or nullopt if it must not be relayed: a message received
// with ttl t is relayed with t - 1 only when t > 1, so no relay ever sends ttl 0 and a
// message created with ttl T reaches nodes at most T hops from its origin.
std::optional<std::uint8_t> relay_ttl(std::uint8_t ttl);

// SplitMix64: a small deterministic generator for tests and simulations (not for secrets).
class SplitMix64 {
public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t operator()();

private:
  std::uint64_t state_;
};

} // namespace mycelium::p2p
