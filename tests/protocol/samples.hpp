// One envelope of every message type, with values that exercise the encodings: non-ASCII and
// control characters, extreme integers, empty optional fields, repeated items.
#pragma once

#include "mycelium/protocol/envelope.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mycelium::protocol::testing {

inline SecretKey key_from(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return SecretKey::from_seed(seed);
}

template <std::size_t N> std::array<std::uint8_t, N> filled(std::uint8_t first) {
  std::array<std::uint8_t, N> a;
  for (std::size_t i = 0; i < N; ++i)
    a[i] = static_cast<std::uint8_t>(first + i);
  return a;
}

inline AuditEntry sample_entry(std::int64_t seq) {
  AuditEntry e;
  e.shard_id = "users";
  e.seq = seq;
  e.op = seq % 2 ? "put" : "delete";
  e.key = "ada-" + std::to_string(seq);
  e.version = 2147483647;
  e.value_json = seq % 2 ? R"({"age":36,"name":"Åda \"L\""})" : "";
  e.created_by = "validator-1";
  e.signature = std::string(128, 'a');
  e.created_at_us = 1700000000123456;
  e.origin_node = "node-1";
  e.prev_hash = filled<32>(static_cast<std::uint8_t>(seq));
  e.entry_hash = filled<32>(static_cast<std::uint8_t>(seq + 1));
  e.link_signature = filled<64>(static_cast<std::uint8_t>(seq + 2));
  // An elected shard's entry in one sample, a fixed primary's (0) in the other; a term past
  // 2^63 proves it travels unsigned.
  e.term = seq % 2 ? 0 : 0x8000000000000007ULL;
  return e;
}

inline std::vector<std::pair<std::string, Payload>> sample_payloads() {
  Gossip gossip;
  gossip.message_id = filled<32>(7);
  gossip.origin = "validator-\xf0\x9f\x8d\x84"; // U+1F344 (a mushroom): beyond the BMP
  gossip.ttl = 255;
  gossip.topic = "weights\n\t\x01";
  gossip.body = {0, 1, 2, 0xff, 0x7f, 0x80};
  gossip.origin_timestamp_ms = -1;
  gossip.origin_signature = filled<64>(200);

  Status status;
  status.node_id = "node-1";
  status.version = "0.3.0";
  status.start_time_ms = 1700000000000;
  status.last_sync_ms = 1700000001000;
  status.last_heartbeat_ms = 1700000002000;
  status.active = true;
  status.status = "syncing";
  status.peer_count = 4294967295u;
  status.serving_rate_milli = 18446744073709551615ull;
  status.sync_progress_ppm = 999999;
  status.response_latency_us = 1234;
  status.memory_bytes = 1ull << 40;
  status.cpu_percent_milli = 150000;

  DBSyncReq req;
  req.request_id = 42;
  req.cursors = {{"users", "node-1", 17}, {"orders", "", 0}};
  req.page_size = 500;

  DBSyncResp resp;
  resp.request_id = 42;
  resp.entries = {sample_entry(1), sample_entry(2), sample_entry(3)};
  resp.more = true;

  BlacklistSync blacklist;
  blacklist.entries = {{"bad-node", "equivocation", "validator-1", 1700000000000, 0, filled<64>(9)},
                       {"worse", "", "validator-2", 1, 2, filled<64>(10)}};

  const AddressRecord here{"validator-\xf0\x9f\x8d\x84", "fd00::3", 65535, 1700000003600000,
                           filled<64>(11)};
  const AddressRecord there{"node-2", "node-2.example.net", 1, -1, filled<64>(12)};

  return {
      {"Handshake", HandshakeMsg{{1, 2, 3}}},
      {"HandshakeResponse", HandshakeResponseMsg{{4, 5, 6, 0}}},
      {"Ping", Ping{18446744073709551615ull, -9223372036854775807ll - 1}},
      {"Pong", Pong{1, 9223372036854775807ll}},
      {"Gossip", gossip},
      {"Sync", status}, // the status message, by its wire name
      {"DBSyncReq", req},
      {"DBSyncResp", resp},
      {"BlacklistSync", blacklist},
      {"AddressRequest", AddressRequest{18446744073709551615ull}},
      {"AddressReply", AddressReply{7, {here, there}}},
      {"AddressAnnounce", AddressAnnounce{there}},
      {"RaftMessage", RaftMessage{{1, 0, 0, 0, 0, 0, 0, 0, 42, 6, 0, 255}}},
  };
}

inline std::vector<std::string> sample_names() {
  std::vector<std::string> names;
  for (const auto &sample : sample_payloads())
    names.push_back(sample.first);
  return names;
}

inline Payload sample(const std::string &name) {
  for (auto &sample : sample_payloads())
    if (sample.first == name)
      return std::move(sample.second);
  throw std::invalid_argument("no sample " + name);
}

inline Envelope envelope_with(Payload payload, std::string sender = "node-1") {
  Envelope env;
  env.sender_id = std::move(sender);
  env.timestamp_ms = 1700000000000;
  env.nonce = filled<16>(1);
  env.payload = std::move(payload);
  env.signature = filled<64>(100);
  return env;
}

inline bool same(const Envelope &a, const Envelope &b) {
  return a.version_major == b.version_major && a.version_minor == b.version_minor &&
         a.sender_id == b.sender_id && a.timestamp_ms == b.timestamp_ms && a.nonce == b.nonce &&
         a.payload == b.payload && a.signature == b.signature;
}

} // namespace mycelium::protocol::testing
