#include "mycelium/p2p/handshake_limiter.hpp"

#include "mycelium/error.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mycelium::p2p {

const char *to_string(Admission admission) {
  switch (admission) {
  case Admission::Admit:
    return "admit";
  case Admission::AddressRateLimited:
    return "rate-limited";
  case Admission::TooManyPending:
    return "too-many-pending";
  }
  return "unknown";
}

HandshakeLimiter::HandshakeLimiter(Limits limits) : limits_(limits) {
  if (!std::isfinite(limits_.per_second) || limits_.per_second <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "handshake per_second must be > 0");
  if (!std::isfinite(limits_.burst) || limits_.burst < 1)
    throw Error(sqlstate::kInvalidParameterValue, "handshake burst must be >= 1");
  if (limits_.max_pending == 0 || limits_.max_addresses == 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "handshake max_pending and max_addresses must be > 0");
}

void HandshakeLimiter::refill(Bucket &bucket, std::int64_t now_ms) const {
  if (now_ms > bucket.updated_ms)
    bucket.tokens =
        std::min(limits_.burst, bucket.tokens + static_cast<double>(now_ms - bucket.updated_ms) *
                                                    limits_.per_second / 1000.0);
  bucket.updated_ms = std::max(bucket.updated_ms, now_ms);
}

// The bucket touched longest ago is the one whose address has been quiet longest: forgetting
// it gives that address a full bucket again, which is what it would have by now anyway unless
// it was drained less than burst / per_second ago.
void HandshakeLimiter::drop_idlest() {
  auto idlest =
      std::min_element(buckets_.begin(), buckets_.end(), [](const auto &a, const auto &b) {
        return a.second.updated_ms < b.second.updated_ms;
      });
  if (idlest != buckets_.end())
    buckets_.erase(idlest);
}

std::string HandshakeLimiter::bucket_key(const std::string &address) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN] = "";
    if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
      in_addr v4{};
      std::memcpy(&v4, v6.s6_addr + 12, 4);
      inet_ntop(AF_INET, &v4, text, sizeof text);
      return text;
    }
    std::memset(v6.s6_addr + 8, 0, 8);
    inet_ntop(AF_INET6, &v6, text, sizeof text);
    return std::string(text) + "/64";
  }
  return address;
}

Admission HandshakeLimiter::admit(const std::string &address, std::size_t pending,
                                  std::int64_t now_ms) {
  const std::string key = bucket_key(address);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_addresses)
      drop_idlest();
    it = buckets_.emplace(key, Bucket{limits_.burst, now_ms}).first;
  }
  Bucket &bucket = it->second;
  refill(bucket, now_ms);
  const bool has_token = bucket.tokens >= 1;
  bucket.tokens = std::max(0.0, bucket.tokens - 1);
  if (!has_token)
    return Admission::AddressRateLimited;
  if (pending >= limits_.max_pending)
    return Admission::TooManyPending;
  return Admission::Admit;
}

} // namespace mycelium::p2p
