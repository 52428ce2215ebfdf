#include "mycelium/protocol/replay_guard.hpp"
#include "mycelium/saturating.hpp"

#include <limits>

namespace mycelium::protocol {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

} // namespace

std::optional<RejectReason> ReplayGuard::check_time(std::int64_t timestamp_ms,
                                                    std::int64_t now_ms) const {
  if (timestamp_ms < saturating_add(now_ms, -limits_.window_ms) ||
      timestamp_ms > saturating_add(now_ms, limits_.window_ms))
    return RejectReason::Stale;
  return std::nullopt;
}

void ReplayGuard::expire(std::int64_t now_ms) {
  if (now_ms > high_water_ms_)
    high_water_ms_ = now_ms;
  // A message stamped t passes accept() only while the latest time seen is <= t + window;
  // after that its nonce cannot be replayed anyway.
  auto it = expiry_.begin();
  for (; it != expiry_.end() && it->first < high_water_ms_; ++it) {
    seen_.erase(it->second);
    const auto sender = per_sender_.find(it->second.substr(0, it->second.size() - kNonceSize));
    if (sender != per_sender_.end() && --sender->second == 0)
      per_sender_.erase(sender);
  }
  expiry_.erase(expiry_.begin(), it);
}

std::optional<RejectReason> ReplayGuard::accept(std::string_view sender_id, const Nonce &nonce,
                                                std::int64_t timestamp_ms, std::int64_t now_ms) {
  if (auto stale = check_time(timestamp_ms, now_ms))
    return stale;
  expire(now_ms);
  // If the clock stepped back, nonces forgotten at the later time must stay unusable: measure
  // staleness in the past against the latest time seen as well.
  if (timestamp_ms < saturating_add(high_water_ms_, -limits_.window_ms))
    return RejectReason::Stale;

  std::string key(sender_id);
  key.append(reinterpret_cast<const char *>(nonce.data()), nonce.size());
  if (seen_.count(key) != 0)
    return RejectReason::Replayed;

  const auto sender = per_sender_.find(std::string(sender_id));
  const std::size_t sender_count = sender == per_sender_.end() ? 0 : sender->second;
  if (sender_count >= limits_.max_per_sender || seen_.size() >= limits_.max_total)
    return RejectReason::Overloaded;

  expiry_.emplace(saturating_add(timestamp_ms, limits_.window_ms), key);
  seen_.insert(std::move(key));
  ++per_sender_[std::string(sender_id)];
  return std::nullopt;
}

std::size_t ReplayGuard::size(std::string_view sender_id) const {
  const auto it = per_sender_.find(std::string(sender_id));
  return it == per_sender_.end() ? 0 : it->second;
}

} // namespace mycelium::protocol
