#include "mycelium/p2p/gossip_cache.hpp"
#include "mycelium/saturating.hpp"

#include "mycelium/error.hpp"

#include <algorithm>
#include <limits>

namespace mycelium::p2p {
const char *to_string(SeenResult result) {
  switch (result) {
  case SeenResult::New:
    return "new";
  case SeenResult::Duplicate:
    return "duplicate";
  case SeenResult::Stale:
    return "stale";
  }
  return "unknown";
}

SeenMessages::SeenMessages(Limits limits) : limits_(limits) {
  if (limits_.retention_ms <= 0 || limits_.max_future_ms < 0 || limits_.max_entries == 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "gossip cache needs retention > 0, max_future >= 0 and max_entries > 0");
}

void SeenMessages::expire(std::int64_t now_ms) {
  if (now_ms > high_water_ms_)
    high_water_ms_ = now_ms;
  auto it = by_forget_time_.begin();
  for (; it != by_forget_time_.end() && it->first < high_water_ms_; ++it)
    seen_.erase(it->second);
  by_forget_time_.erase(by_forget_time_.begin(), it);
}

SeenResult SeenMessages::observe(const protocol::MessageId &id, std::int64_t origin_timestamp_ms,
                                 std::int64_t now_ms) {
  expire(now_ms);
  // Stale: a message stamped t is accepted while now <= t + retention, and its id is
  // remembered exactly that long, so once forgotten it is stale. "now" is the latest time
  // seen: if the clock has stepped back, a message that was stale then is still stale, or its
  // forgotten id would be accepted again.
  if (origin_timestamp_ms < saturating_add(high_water_ms_, -limits_.retention_ms) ||
      origin_timestamp_ms > saturating_add(now_ms, limits_.max_future_ms))
    return SeenResult::Stale;
  if (seen_.count(id) != 0)
    return SeenResult::Duplicate;
  if (seen_.size() >= limits_.max_entries) {
    const auto oldest = by_forget_time_.begin();
    seen_.erase(oldest->second);
    by_forget_time_.erase(oldest);
    ++evicted_;
  }
  const std::int64_t forget_at = saturating_add(origin_timestamp_ms, limits_.retention_ms);
  seen_.emplace(id, forget_at);
  by_forget_time_.emplace(forget_at, id);
  return SeenResult::New;
}

std::uint64_t uniform_below(std::uint64_t bound, const RandomSource &random) {
  if (bound == 0)
    throw Error(sqlstate::kInvalidParameterValue, "uniform_below needs a bound > 0");
  // Values at or above the largest multiple of bound are rejected: the rest map evenly.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  for (;;) {
    const std::uint64_t r = random();
    if (r < limit)
      return r % bound;
  }
}

std::vector<std::string> choose_fanout(const std::vector<std::string> &peers, std::size_t fanout,
                                       const std::vector<std::string_view> &exclude,
                                       const RandomSource &random) {
  std::vector<std::string> candidates;
  std::set<std::string_view> taken(exclude.begin(), exclude.end());
  for (const std::string &peer : peers)
    if (taken.insert(peer).second)
      candidates.push_back(peer);
  // Partial Fisher-Yates: the first k positions become a uniform sample in draw order.
  const std::size_t k = std::min(fanout, candidates.size());
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j =
        i + static_cast<std::size_t>(uniform_below(candidates.size() - i, random));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(k);
  return candidates;
}

std::optional<std::uint8_t> relay_ttl(std::uint8_t ttl) {
  if (ttl <= 1)
    return std::nullopt;
  return static_cast<std::uint8_t>(ttl - 1);
}

std::uint64_t SplitMix64::operator()() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace mycelium::p2p
