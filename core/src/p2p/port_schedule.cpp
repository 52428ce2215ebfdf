#include "mycelium/p2p/port_schedule.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <string>

namespace mycelium::p2p {
namespace {

void check_ports(std::uint16_t base_port, std::uint32_t range, std::uint16_t bootstrap_port) {
  if (range == 0)
    throw Error(sqlstate::kInvalidParameterValue, "port range must not be empty");
  if (base_port == 0)
    throw Error(sqlstate::kInvalidParameterValue, "base port must be between 1 and 65535");
  if (std::uint64_t{base_port} + range - 1 > 65535)
    throw Error(sqlstate::kInvalidParameterValue, "port range " + std::to_string(base_port) +
                                                      " + " + std::to_string(range) +
                                                      " goes beyond 65535");
  if (range == 1 && bootstrap_port == base_port)
    throw Error(sqlstate::kInvalidParameterValue, "port range holds only the bootstrap port");
}

void check_secret(const Bytes &secret) {
  if (secret.size() < kMinPortSecretSize)
    throw Error(sqlstate::kInvalidParameterValue,
                "port secret must be at least " + std::to_string(kMinPortSecretSize) + " bytes");
}

} // namespace

std::uint64_t epoch_of(std::int64_t now_s, std::int64_t epoch_seconds) {
  if (epoch_seconds <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "epoch length must be > 0 seconds");
  if (now_s < 0)
    throw Error(sqlstate::kInvalidParameterValue, "time before 1970 has no port epoch");
  return static_cast<std::uint64_t>(now_s / epoch_seconds);
}

std::array<std::uint8_t, 32> port_hmac(const Bytes &secret, std::uint64_t epoch) {
  ensure_sodium();
  std::uint8_t message[kPortTag.size() + 8];
  std::copy(kPortTag.begin(), kPortTag.end(), message);
  for (int i = 7; i >= 0; --i, epoch >>= 8)
    message[kPortTag.size() + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(epoch);

  std::array<std::uint8_t, 32> mac;
  crypto_auth_hmacsha256_state state;
  // The init/update/final form takes a key of any length (the one-shot form wants 32 bytes);
  // like RFC 2104, a key longer than the block is hashed first.
  crypto_auth_hmacsha256_init(&state, secret.data(), secret.size());
  crypto_auth_hmacsha256_update(&state, message, sizeof message);
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

std::uint16_t port_for(const Bytes &secret, std::uint64_t epoch, std::uint16_t base_port,
                       std::uint32_t range, std::uint16_t bootstrap_port) {
  check_secret(secret);
  check_ports(base_port, range, bootstrap_port);
  const std::array<std::uint8_t, 32> mac = port_hmac(secret, epoch);
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < 8; ++i)
    h = (h << 8) | mac[i];
  std::uint64_t offset = h % range;
  if (bootstrap_port != 0 && base_port + offset == bootstrap_port)
    offset = (offset + 1) % range;
  return static_cast<std::uint16_t>(base_port + offset);
}

PortSchedule::PortSchedule(const Bytes &secret, PortScheduleConfig config)
    : secret_(secret), config_(config) {
  check_secret(secret_);
  check_ports(config_.base_port, config_.range, config_.bootstrap_port);
  if (config_.epoch_seconds <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "epoch length must be > 0 seconds");
  if (config_.grace_seconds < 0 || config_.grace_seconds >= config_.epoch_seconds)
    throw Error(sqlstate::kInvalidParameterValue,
                "grace window must be >= 0 and shorter than an epoch");
  if (config_.announce_lead_seconds < 0 || config_.announce_lead_seconds >= config_.epoch_seconds)
    throw Error(sqlstate::kInvalidParameterValue,
                "announcement lead must be >= 0 and shorter than an epoch");
}

PortSchedule::~PortSchedule() {
  if (!secret_.empty())
    sodium_memzero(secret_.data(), secret_.size());
}

std::int64_t PortSchedule::epoch_start_s(std::uint64_t epoch) const {
  const auto length = static_cast<std::uint64_t>(config_.epoch_seconds);
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (epoch > max / length)
    throw Error(sqlstate::kInvalidParameterValue, "port epoch out of range");
  return static_cast<std::int64_t>(epoch * length);
}

std::uint16_t PortSchedule::port(std::uint64_t epoch) const {
  return port_for(secret_, epoch, config_.base_port, config_.range, config_.bootstrap_port);
}

std::vector<std::uint16_t> PortSchedule::listening_ports(std::int64_t now_s) const {
  const std::uint64_t e = epoch(now_s);
  std::vector<std::uint16_t> ports{port(e)};
  if (e > 0 && now_s - epoch_start_s(e) < config_.grace_seconds) {
    const std::uint16_t previous = port(e - 1);
    if (previous != ports.front())
      ports.push_back(previous);
  }
  return ports;
}

bool PortSchedule::accepts(std::uint16_t port, std::int64_t now_s) const {
  const std::vector<std::uint16_t> ports = listening_ports(now_s);
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

PortAnnouncement PortSchedule::next_port(std::int64_t now_s) const {
  PortAnnouncement a;
  a.epoch = epoch(now_s) + 1;
  a.port = port(a.epoch);
  a.starts_at_s = epoch_start_s(a.epoch);
  a.announce_from_s = a.starts_at_s - config_.announce_lead_seconds;
  return a;
}

std::vector<std::uint16_t> PortSchedule::open_ports(std::int64_t now_s) const {
  std::vector<std::uint16_t> ports = listening_ports(now_s);
  const PortAnnouncement next = next_port(now_s);
  if (now_s >= next.announce_from_s &&
      std::find(ports.begin(), ports.end(), next.port) == ports.end())
    ports.push_back(next.port);
  return ports;
}

} // namespace mycelium::p2p
