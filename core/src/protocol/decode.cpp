// Untrusted bytes -> Envelope. The order of the checks is part of the protocol (PROTOCOL.md,
// "Checks on receipt"); nothing is read before the flatbuffers Verifier has passed the buffer.
#include "mycelium/protocol/envelope.hpp"

#include "wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mycelium::protocol {

const char *to_string(RejectReason reason) {
  switch (reason) {
  case RejectReason::Oversized:
    return "oversized";
  case RejectReason::Malformed:
    return "malformed";
  case RejectReason::WrongVersion:
    return "wrong-version";
  case RejectReason::MissingField:
    return "missing-field";
  case RejectReason::UnknownMessage:
    return "unknown-message";
  case RejectReason::Stale:
    return "stale";
  case RejectReason::Replayed:
    return "replayed";
  case RejectReason::Overloaded:
    return "overloaded";
  case RejectReason::BadSignature:
    return "bad-signature";
  case RejectReason::ProtocolViolation:
    return "protocol-violation";
  case RejectReason::RateLimited:
    return "rate-limited";
  case RejectReason::Undecryptable:
    return "undecryptable";
  }
  return "unknown";
}

DecodeResult DecodeResult::accept(Envelope envelope) {
  DecodeResult r;
  r.envelope_ = std::move(envelope);
  return r;
}

DecodeResult DecodeResult::reject(RejectReason reason, std::string detail) {
  DecodeResult r;
  r.reason_ = reason;
  r.detail_ = std::move(detail);
  return r;
}

namespace {

using ByteVector = flatbuffers::Vector<std::uint8_t>;

// Thrown by the field readers below and caught in decode(): it never leaves this file.
struct Refused {
  RejectReason reason;
  std::string detail;
};

[[noreturn]] void refuse(RejectReason reason, std::string detail) {
  throw Refused{reason, std::move(detail)};
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF)
// without U+0000: what the JSON form can print, PostgreSQL's text can store and a log can show.
bool valid_text(const char *s, std::size_t n) {
  const auto *p = reinterpret_cast<const unsigned char *>(s);
  const unsigned char *end = p + n;
  while (p < end) {
    const unsigned c = *p++;
    if (c == 0)
      return false;
    if (c < 0x80)
      continue;
    int more;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < more)
      return false;
    for (int i = 0; i < more; ++i, ++p) {
      if ((*p & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (*p & 0x3F);
    }
    const std::uint32_t min = more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
  }
  return true;
}

// A string field; `required` ones must be present and non-empty.
std::string text(const flatbuffers::String *s, const char *field, bool required) {
  if (s == nullptr || s->size() == 0) {
    if (required)
      refuse(RejectReason::MissingField, std::string(field) + " is missing or empty");
    return {};
  }
  if (!valid_text(s->c_str(), s->size()))
    refuse(RejectReason::Malformed, std::string(field) + " is not UTF-8 text without U+0000");
  return std::string(s->c_str(), s->size());
}

// A byte field of fixed length: absent or empty is missing, any other length malformed.
template <std::size_t N> std::array<std::uint8_t, N> fixed(const ByteVector *v, const char *field) {
  if (v == nullptr || v->size() == 0)
    refuse(RejectReason::MissingField, std::string(field) + " is missing");
  if (v->size() != N)
    refuse(RejectReason::Malformed, std::string(field) + " must be " + std::to_string(N) +
                                        " bytes, got " + std::to_string(v->size()));
  std::array<std::uint8_t, N> out;
  std::memcpy(out.data(), v->data(), N);
  return out;
}

Bytes var(const ByteVector *v) {
  return v ? Bytes(v->begin(), v->end()) : Bytes{};
}

Bytes required_bytes(const ByteVector *v, const char *field) {
  if (v == nullptr || v->size() == 0)
    refuse(RejectReason::MissingField, std::string(field) + " is missing or empty");
  return var(v);
}

Payload read(const wire::Handshake &m) {
  return HandshakeMsg{required_bytes(m.data(), "data")};
}

Payload read(const wire::HandshakeResponse &m) {
  return HandshakeResponseMsg{required_bytes(m.data(), "data")};
}

Payload read(const wire::Ping &m) {
  return Ping{m.seq(), m.sent_ms()};
}
Payload read(const wire::Pong &m) {
  return Pong{m.seq(), m.sent_ms()};
}

Payload read(const wire::Gossip &m) {
  Gossip g;
  g.message_id = fixed<32>(m.message_id(), "Gossip.message_id");
  g.origin = text(m.origin(), "Gossip.origin", true);
  g.ttl = m.ttl();
  g.topic = text(m.topic(), "Gossip.topic", true);
  g.body = var(m.body());
  g.origin_timestamp_ms = m.origin_timestamp_ms();
  g.origin_signature = fixed<kSignatureSize>(m.origin_signature(), "Gossip.origin_signature");
  return g;
}

Payload read(const wire::Status &m) {
  Status s;
  s.node_id = text(m.node_id(), "Status.node_id", true);
  s.version = text(m.version(), "Status.version", false);
  s.start_time_ms = m.start_time_ms();
  s.last_sync_ms = m.last_sync_ms();
  s.last_heartbeat_ms = m.last_heartbeat_ms();
  s.active = m.active();
  s.status = text(m.status(), "Status.status", false);
  s.peer_count = m.peer_count();
  s.serving_rate_milli = m.serving_rate_milli();
  s.sync_progress_ppm = m.sync_progress_ppm();
  s.response_latency_us = m.response_latency_us();
  s.memory_bytes = m.memory_bytes();
  s.cpu_percent_milli = m.cpu_percent_milli();
  return s;
}

Payload read(const wire::DBSyncReq &m) {
  DBSyncReq r;
  r.request_id = m.request_id();
  r.page_size = m.page_size();
  if (const auto *cursors = m.cursors()) {
    r.cursors.reserve(cursors->size());
    for (const wire::SyncCursor *c : *cursors)
      r.cursors.push_back({text(c->shard_id(), "SyncCursor.shard_id", true),
                           text(c->origin(), "SyncCursor.origin", false), c->last_seq()});
  }
  return r;
}

AuditEntry read_entry(const wire::AuditEntry &e) {
  AuditEntry a;
  a.shard_id = text(e.shard_id(), "AuditEntry.shard_id", true);
  a.seq = e.seq();
  a.op = text(e.op(), "AuditEntry.op", true);
  a.key = text(e.key(), "AuditEntry.key", true);
  a.version = e.version();
  a.value_json = text(e.value_json(), "AuditEntry.value_json", false);
  a.created_by = text(e.created_by(), "AuditEntry.created_by", true);
  a.signature = text(e.signature(), "AuditEntry.signature", true);
  a.created_at_us = e.created_at_us();
  a.origin_node = text(e.origin_node(), "AuditEntry.origin_node", false);
  a.prev_hash = fixed<32>(e.prev_hash(), "AuditEntry.prev_hash");
  a.entry_hash = fixed<32>(e.entry_hash(), "AuditEntry.entry_hash");
  a.link_signature = fixed<64>(e.link_signature(), "AuditEntry.link_signature");
  a.term = e.term();
  return a;
}

Payload read(const wire::DBSyncResp &m) {
  DBSyncResp r;
  r.request_id = m.request_id();
  r.more = m.more();
  if (const auto *entries = m.entries()) {
    r.entries.reserve(entries->size());
    for (const wire::AuditEntry *e : *entries)
      r.entries.push_back(read_entry(*e));
  }
  return r;
}

Payload read(const wire::BlacklistSync &m) {
  BlacklistSync b;
  if (const auto *entries = m.entries()) {
    b.entries.reserve(entries->size());
    for (const wire::BlacklistEntry *e : *entries) {
      BlacklistEntry x;
      x.node_id = text(e->node_id(), "BlacklistEntry.node_id", true);
      x.reason = text(e->reason(), "BlacklistEntry.reason", false);
      x.created_by = text(e->created_by(), "BlacklistEntry.created_by", true);
      x.created_at_ms = e->created_at_ms();
      x.expires_at_ms = e->expires_at_ms();
      x.signature = fixed<kSignatureSize>(e->signature(), "BlacklistEntry.signature");
      b.entries.push_back(std::move(x));
    }
  }
  return b;
}

AddressRecord read_record(const wire::AddressRecord &r) {
  AddressRecord a;
  a.node_id = text(r.node_id(), "AddressRecord.node_id", true);
  a.host = text(r.host(), "AddressRecord.host", true);
  a.port = r.port();
  a.expires_at_ms = r.expires_at_ms();
  a.signature = fixed<kSignatureSize>(r.signature(), "AddressRecord.signature");
  return a;
}

Payload read(const wire::AddressRequest &m) {
  return AddressRequest{m.request_id()};
}

Payload read(const wire::AddressReply &m) {
  AddressReply r;
  r.request_id = m.request_id();
  if (const auto *records = m.records()) {
    r.records.reserve(records->size());
    for (const wire::AddressRecord *record : *records)
      r.records.push_back(read_record(*record));
  }
  return r;
}

Payload read(const wire::AddressAnnounce &m) {
  if (m.record() == nullptr)
    refuse(RejectReason::MissingField, "AddressAnnounce.record is missing");
  return AddressAnnounce{read_record(*m.record())};
}

// The consensus library decodes the bytes, strictly, when the group receives them.
Payload read(const wire::RaftMessage &m) {
  return RaftMessage{required_bytes(m.data(), "data")};
}

template <typename T> Payload read_as(const wire::Envelope &env) {
  const T *table = env.payload_as<T>();
  if (table == nullptr)
    refuse(RejectReason::MissingField, "payload table is missing");
  return read(*table);
}

Payload read_payload(const wire::Envelope &env) {
  switch (env.payload_type()) {
  case wire::Message::NONE:
    refuse(RejectReason::MissingField, "payload is missing");
  case wire::Message::Handshake:
    return read_as<wire::Handshake>(env);
  case wire::Message::HandshakeResponse:
    return read_as<wire::HandshakeResponse>(env);
  case wire::Message::Ping:
    return read_as<wire::Ping>(env);
  case wire::Message::Pong:
    return read_as<wire::Pong>(env);
  case wire::Message::Gossip:
    return read_as<wire::Gossip>(env);
  case wire::Message::Sync:
    return read_as<wire::Status>(env);
  case wire::Message::DBSyncReq:
    return read_as<wire::DBSyncReq>(env);
  case wire::Message::DBSyncResp:
    return read_as<wire::DBSyncResp>(env);
  case wire::Message::BlacklistSync:
    return read_as<wire::BlacklistSync>(env);
  case wire::Message::AddressRequest:
    return read_as<wire::AddressRequest>(env);
  case wire::Message::AddressReply:
    return read_as<wire::AddressReply>(env);
  case wire::Message::AddressAnnounce:
    return read_as<wire::AddressAnnounce>(env);
  case wire::Message::RaftMessage:
    return read_as<wire::RaftMessage>(env);
  }
  // A member a newer minor version appended to the union: well formed, just not ours to read.
  refuse(RejectReason::UnknownMessage, "payload type " +
                                           std::to_string(static_cast<int>(env.payload_type())) +
                                           " is newer than this node");
}

// Identifier "MYC1" is this major version; "MYC2", ... are other major versions.
void check_identifier(const std::uint8_t *data) {
  const char *id = reinterpret_cast<const char *>(data) + sizeof(flatbuffers::uoffset_t);
  if (std::memcmp(id, kFileIdentifier.data(), kFileIdentifier.size()) == 0)
    return;
  if (std::memcmp(id, "MYC", 3) == 0 && id[3] >= '0' && id[3] <= '9')
    refuse(RejectReason::WrongVersion,
           std::string("file identifier MYC") + id[3] + ", this node speaks MYC1");
  refuse(RejectReason::Malformed, "not a Mycelium envelope (file identifier)");
}

Envelope read_envelope(const std::uint8_t *data, std::size_t size, const DecodeLimits &limits) {
  if (size > limits.max_bytes)
    refuse(RejectReason::Oversized,
           std::to_string(size) + " bytes, limit " + std::to_string(limits.max_bytes));
  // Root offset and file identifier.
  if (size < sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength)
    refuse(RejectReason::Malformed, "shorter than a flatbuffer header");
  check_identifier(data);

  flatbuffers::Verifier::Options options;
  options.max_depth = limits.max_depth;
  options.max_tables = limits.max_tables;
  flatbuffers::Verifier verifier(data, size, options);
  if (!wire::VerifyEnvelopeBuffer(verifier))
    refuse(RejectReason::Malformed, "flatbuffers Verifier refused the buffer");

  const wire::Envelope &env = *wire::GetEnvelope(data);
  if (env.version_major() != kProtocolMajor)
    refuse(RejectReason::WrongVersion, "version " + std::to_string(env.version_major()) + "." +
                                           std::to_string(env.version_minor()) +
                                           ", this node speaks " + std::to_string(kProtocolMajor) +
                                           ".x");
  Envelope out;
  out.version_major = env.version_major();
  out.version_minor = env.version_minor();
  out.sender_id = text(env.sender_id(), "sender_id", true);
  out.timestamp_ms = env.timestamp_ms();
  out.nonce = fixed<kNonceSize>(env.nonce(), "nonce");
  out.signature = fixed<kSignatureSize>(env.signature(), "signature");
  out.payload = read_payload(env);
  // Status is one hop: a node reports only itself.
  if (const auto *status = std::get_if<Status>(&out.payload);
      status && status->node_id != out.sender_id)
    refuse(RejectReason::Malformed, "Status.node_id differs from sender_id");
  return out;
}

} // namespace

DecodeResult decode(const std::uint8_t *data, std::size_t size, const DecodeLimits &limits) {
  // flatbuffers reads scalars in place: give it an 8-byte aligned copy when the caller's
  // buffer is not (the Verifier checks alignment relative to the buffer's start only).
  Bytes aligned;
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(std::max_align_t) != 0 &&
      size <= limits.max_bytes) {
    aligned.assign(data, data + size);
    data = aligned.data();
  }
  try {
    return DecodeResult::accept(read_envelope(data, size, limits));
  } catch (Refused &r) {
    return DecodeResult::reject(r.reason, std::move(r.detail));
  }
}

} // namespace mycelium::protocol
