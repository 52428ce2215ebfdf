// Port rotation: a node's listening port changes every epoch (a fixed number of seconds since
// the Unix epoch) to a value only holders of the node's secret can compute, so that a scanner
// that learnt last hour's port learns nothing about this hour's. Authenticated peers learn the
// port from the node itself, which announces the next port over the secure channel before it
// switches; during a grace window after the switch the node also keeps listening on the
// previous epoch's port, so that peers with a late announcement or a skewed clock still reach
// it. The next port is opened as soon as it is announced (announce_lead_seconds before its
// epoch), so that a peer acting on the announcement at once finds it open: open_ports() is
// what a node listens on, listening_ports() what it must accept by the schedule alone.
//
//   epoch        = floor(now_s / epoch_seconds)
//   h            = HMAC-SHA-256(secret, "mycelium/v1/port" || u64_be(epoch))
//   offset       = u64_be(h[0..8]) mod range
//   port         = base_port + offset
//   if port == bootstrap_port: port = base_port + (offset + 1) mod range
//
// The message is the 16 ASCII bytes of the tag followed by the 8-byte big-endian epoch, not
// framed (both parts have fixed lengths). The bootstrap port (the fixed, public port that
// new nodes dial first) is skipped by taking the next port of the range, wrapping to its
// start; a range that contains the bootstrap port must hold at least 2 ports.
//
// Pure and deterministic: the caller passes the time.
#pragma once

#include "mycelium/signing.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mycelium::p2p {

inline constexpr std::string_view kPortTag = "mycelium/v1/port";
inline constexpr std::size_t kMinPortSecretSize = 16;

// floor(now_s / epoch_seconds). Throws Error 22023 if epoch_seconds <= 0 or now_s < 0.
std::uint64_t epoch_of(std::int64_t now_s, std::int64_t epoch_seconds);

// HMAC-SHA-256(secret, "mycelium/v1/port" || u64_be(epoch)) (libsodium).
std::array<std::uint8_t, 32> port_hmac(const Bytes &secret, std::uint64_t epoch);

// The port of `epoch` (formula above). bootstrap_port 0: none to avoid. Throws Error 22023
// if the secret is shorter than kMinPortSecretSize, range is 0, base_port is 0,
// base_port + range - 1 exceeds 65535, or the range is the bootstrap port alone.
std::uint16_t port_for(const Bytes &secret, std::uint64_t epoch, std::uint16_t base_port,
                       std::uint32_t range, std::uint16_t bootstrap_port = 0);

struct PortScheduleConfig {
  std::uint16_t base_port = 20000;
  std::uint32_t range = 10000; // ports base_port .. base_port + range - 1
  std::int64_t epoch_seconds = 3600;
  // The previous epoch's port stays open for [epoch start, epoch start + grace_seconds).
  // 0 <= grace_seconds < epoch_seconds.
  std::int64_t grace_seconds = 300;
  // Announce the next port this long before the switch. 0 <= lead < epoch_seconds.
  std::int64_t announce_lead_seconds = 300;
  std::uint16_t bootstrap_port = 0; // 0: none
};

// What a node sends its authenticated peers ahead of a switch.
struct PortAnnouncement {
  std::uint64_t epoch = 0;
  std::uint16_t port = 0;
  std::int64_t starts_at_s = 0;     // the epoch's first second
  std::int64_t announce_from_s = 0; // starts_at_s - announce_lead_seconds
};

class PortSchedule {
public:
  // Copies the secret; throws Error 22023 for an invalid configuration or a short secret.
  PortSchedule(const Bytes &secret, PortScheduleConfig config);
  ~PortSchedule(); // zeroes the secret
  PortSchedule(const PortSchedule &) = delete;
  PortSchedule &operator=(const PortSchedule &) = delete;

  std::uint64_t epoch(std::int64_t now_s) const { return epoch_of(now_s, config_.epoch_seconds); }
  std::int64_t epoch_start_s(std::uint64_t epoch) const;
  std::uint16_t port(std::uint64_t epoch) const;
  std::uint16_t current_port(std::int64_t now_s) const { return port(epoch(now_s)); }

  // The ports to listen on at now_s: the current one first, then the previous epoch's while
  // now_s < epoch start + grace_seconds (and if it differs from the current one).
  std::vector<std::uint16_t> listening_ports(std::int64_t now_s) const;
  // Whether a connection arriving on `port` at now_s is on one of listening_ports(now_s).
  bool accepts(std::uint16_t port, std::int64_t now_s) const;
  // The next epoch's port, to announce from announce_from_s on.
  PortAnnouncement next_port(std::int64_t now_s) const;
  // The ports to have open at now_s: listening_ports(now_s), then the next epoch's port once
  // now_s >= next_port(now_s).announce_from_s. No port twice; the current one first.
  std::vector<std::uint16_t> open_ports(std::int64_t now_s) const;

  const PortScheduleConfig &config() const { return config_; }

private:
  Bytes secret_;
  PortScheduleConfig config_;
};

} // namespace mycelium::p2p
