// Admission of unauthenticated connections. A responder spends an X25519 key pair, a
// Diffie-Hellman and an Ed25519 signature on every hello before it knows who is asking, so an
// open peer port is a way to burn its CPU. The limiter bounds that work per remote address
// (a token bucket: `burst` at once, then `per_second`) and in total (at most `max_pending`
// connections without a session at a time, counted by the caller).
//
// Pure and deterministic: the caller passes the time. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace mycelium::p2p {

enum class Admission {
  Admit,
  AddressRateLimited, // this address opened more connections than its bucket allows
  TooManyPending,     // max_pending connections are already waiting for their handshake
};
const char *to_string(Admission admission);

class HandshakeLimiter {
public:
  struct Limits {
    double per_second = 10;           // sustained new connections per remote address
    double burst = 20;                // connections one address may open at once
    std::size_t max_pending = 128;    // connections without a session, all addresses together
    std::size_t max_addresses = 4096; // buckets kept; the idlest is dropped when full
  };

  // Throws Error 22023 if per_second <= 0, burst < 1, max_pending == 0 or max_addresses == 0.
  explicit HandshakeLimiter(Limits limits);

  // Decides on a new connection from `address` (an IP, no port; see bucket_key). pending:
  // connections already waiting for their handshake. A refused connection still spends a
  // token, so an address that keeps hammering stays refused.
  Admission admit(const std::string &address, std::size_t pending, std::int64_t now_ms);

  // The bucket an address counts against: an IPv4 address (also when written IPv4-mapped,
  // ::ffff:a.b.c.d) is its own bucket; an IPv6 address shares one with its /64, since one host
  // commonly holds a whole /64. Anything that is not an IP address is used as it is.
  static std::string bucket_key(const std::string &address);

  std::size_t addresses() const { return buckets_.size(); }
  const Limits &limits() const { return limits_; }

private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  void refill(Bucket &bucket, std::int64_t now_ms) const;
  void drop_idlest();

  Limits limits_;
  std::map<std::string, Bucket> buckets_;
};

} // namespace mycelium::p2p
