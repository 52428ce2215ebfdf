// The messages of the wire protocol (schemas/mycelium.fbs, schemas/PROTOCOL.md "Messages") as
// plain C++ values. Code outside core/src/protocol never sees flatbuffers types: it builds and
// reads these, and envelope.hpp converts them. Fixed-size fields are std::arrays, so a value
// that exists has the right lengths; the decoder refuses buffers where they differ.
#pragma once

#include "mycelium/ed25519.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mycelium::protocol {

using Hash = std::array<std::uint8_t, 32>;
using MessageId = Hash;

// Opaque handshake messages, produced and consumed by the handshake module.
struct HandshakeMsg {
  Bytes data;
};

struct HandshakeResponseMsg {
  Bytes data;
};

struct Ping {
  std::uint64_t seq = 0;
  std::int64_t sent_ms = 0;
};

// Echoes a Ping's fields.
struct Pong {
  std::uint64_t seq = 0;
  std::int64_t sent_ms = 0;
};

// Fixed by its origin and signed by it; ttl is the only field a relay changes. Use sign_gossip()
// (envelope.hpp) to set message_id and origin_signature.
struct Gossip {
  MessageId message_id{};
  std::string origin;
  std::uint8_t ttl = 0;
  std::string topic;
  Bytes body;
  std::int64_t origin_timestamp_ms = 0;
  Signature origin_signature{};
};

// The sender's own status (node_id must equal the envelope's sender_id). Fixed-point integers
// instead of doubles: they survive the JSON form exactly (schemas/mycelium.fbs). Its name on the
// wire, type_name(), is its member of the schema's Message union: "Sync".
struct Status {
  std::string node_id;
  std::string version;
  std::int64_t start_time_ms = 0;
  std::int64_t last_sync_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
  bool active = false;
  std::string status;
  std::uint32_t peer_count = 0;
  std::uint64_t serving_rate_milli = 0; // requests per second x 1000
  std::uint32_t sync_progress_ppm = 0;  // 0 .. 1000000
  std::uint64_t response_latency_us = 0;
  std::uint64_t memory_bytes = 0;
  std::uint32_t cpu_percent_milli = 0; // percent of one core x 1000
};

struct SyncCursor {
  std::string shard_id;
  std::string origin;
  std::int64_t last_seq = 0;
};

struct DBSyncReq {
  std::uint64_t request_id = 0;
  std::vector<SyncCursor> cursors;
  std::uint32_t page_size = 0;
};

// One row of mycelium.audit_log as stored (schemas/SIGNING.md, "Audit chain").
struct AuditEntry {
  std::string shard_id;
  std::int64_t seq = 0;
  std::string op;
  std::string key;
  std::int32_t version = 0;
  std::string value_json;
  std::string created_by;
  std::string signature; // lowercase hex, as stored
  std::int64_t created_at_us = 0;
  std::string origin_node;
  Hash prev_hash{};
  Hash entry_hash{};
  Signature link_signature{}; // the primary's signature of the link (SIGNING.md, "Chain links")
  std::uint64_t term = 0;     // an elected shard's term (its v2 link covers it); 0: fixed primary
};

struct DBSyncResp {
  std::uint64_t request_id = 0;
  std::vector<AuditEntry> entries;
  bool more = false;
};

struct BlacklistEntry {
  std::string node_id;
  std::string reason;
  std::string created_by;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0; // 0: never
  Signature signature{};
};

struct BlacklistSync {
  std::vector<BlacklistEntry> entries;
};

// Where a node listens until when, signed by the node itself (p2p/address_book.hpp has the
// signing bytes).
struct AddressRecord {
  std::string node_id;
  std::string host;
  std::uint16_t port = 0;
  std::int64_t expires_at_ms = 0;
  Signature signature{};
};

struct AddressRequest {
  std::uint64_t request_id = 0;
};

struct AddressReply {
  std::uint64_t request_id = 0;
  std::vector<AddressRecord> records;
};

struct AddressAnnounce {
  AddressRecord record;
};

// Minor version 3: one message of a shard's Raft group, in the consensus library's encoding
// (consensus/raft_message_codec.hpp), which names the group; opaque here.
struct RaftMessage {
  Bytes data;
};

// The alternatives are in the order of the schema's Message union: the wire type number of
// alternative i is i + 1 (0 is flatbuffers' NONE).
using Payload = std::variant<HandshakeMsg, HandshakeResponseMsg, Ping, Pong, Gossip, Status,
                             DBSyncReq, DBSyncResp, BlacklistSync, AddressRequest, AddressReply,
                             AddressAnnounce, RaftMessage>;

// The schema's name of the payload's type, its member of the Message union ("Ping",
// "DBSyncResp", ...; "Sync" for a Status): the name JSON uses and the name framed into the
// signing bytes.
std::string_view type_name(const Payload &payload);

// Field-by-field equality, for tests and for callers that compare what they sent.
bool operator==(const HandshakeMsg &a, const HandshakeMsg &b);
bool operator==(const HandshakeResponseMsg &a, const HandshakeResponseMsg &b);
bool operator==(const Ping &a, const Ping &b);
bool operator==(const Pong &a, const Pong &b);
bool operator==(const Gossip &a, const Gossip &b);
bool operator==(const Status &a, const Status &b);
bool operator==(const SyncCursor &a, const SyncCursor &b);
bool operator==(const DBSyncReq &a, const DBSyncReq &b);
bool operator==(const AuditEntry &a, const AuditEntry &b);
bool operator==(const DBSyncResp &a, const DBSyncResp &b);
bool operator==(const BlacklistEntry &a, const BlacklistEntry &b);
bool operator==(const BlacklistSync &a, const BlacklistSync &b);
bool operator==(const AddressRecord &a, const AddressRecord &b);
bool operator==(const AddressRequest &a, const AddressRequest &b);
bool operator==(const AddressReply &a, const AddressReply &b);
bool operator==(const AddressAnnounce &a, const AddressAnnounce &b);
bool operator==(const RaftMessage &a, const RaftMessage &b);

} // namespace mycelium::protocol
