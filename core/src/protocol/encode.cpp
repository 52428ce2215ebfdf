// C++ values -> flatbuffer. Every field is always written, in a fixed order, so one flatbuffers
// version produces the same bytes for the same value (tests compare buffers). Signatures never
// depend on these bytes (signatures.cpp).
#include "mycelium/protocol/envelope.hpp"

#include "wire.hpp"

namespace mycelium::protocol {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

template <typename Container> auto bytes(FlatBufferBuilder &fbb, const Container &c) {
  return fbb.CreateVector(c.data(), c.size());
}

Offset<void> payload(FlatBufferBuilder &fbb, const HandshakeMsg &m) {
  return wire::CreateHandshake(fbb, bytes(fbb, m.data)).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const HandshakeResponseMsg &m) {
  return wire::CreateHandshakeResponse(fbb, bytes(fbb, m.data)).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const Ping &m) {
  return wire::CreatePing(fbb, m.seq, m.sent_ms).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const Pong &m) {
  return wire::CreatePong(fbb, m.seq, m.sent_ms).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const Gossip &m) {
  const auto id = bytes(fbb, m.message_id);
  const auto origin = fbb.CreateString(m.origin);
  const auto topic = fbb.CreateString(m.topic);
  const auto body = bytes(fbb, m.body);
  const auto sig = bytes(fbb, m.origin_signature);
  return wire::CreateGossip(fbb, id, origin, m.ttl, topic, body, m.origin_timestamp_ms, sig)
      .Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const Status &m) {
  const auto node_id = fbb.CreateString(m.node_id);
  const auto version = fbb.CreateString(m.version);
  const auto status = fbb.CreateString(m.status);
  return wire::CreateStatus(fbb, node_id, version, m.start_time_ms, m.last_sync_ms,
                            m.last_heartbeat_ms, m.active, status, m.peer_count,
                            m.serving_rate_milli, m.sync_progress_ppm, m.response_latency_us,
                            m.memory_bytes, m.cpu_percent_milli)
      .Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const DBSyncReq &m) {
  std::vector<Offset<wire::SyncCursor>> cursors;
  cursors.reserve(m.cursors.size());
  for (const SyncCursor &c : m.cursors) {
    const auto shard = fbb.CreateString(c.shard_id);
    const auto origin = fbb.CreateString(c.origin);
    cursors.push_back(wire::CreateSyncCursor(fbb, shard, origin, c.last_seq));
  }
  return wire::CreateDBSyncReq(fbb, m.request_id, fbb.CreateVector(cursors), m.page_size).Union();
}

Offset<wire::AuditEntry> audit_entry(FlatBufferBuilder &fbb, const AuditEntry &e) {
  const auto shard = fbb.CreateString(e.shard_id);
  const auto op = fbb.CreateString(e.op);
  const auto key = fbb.CreateString(e.key);
  const auto value = fbb.CreateString(e.value_json);
  const auto created_by = fbb.CreateString(e.created_by);
  const auto signature = fbb.CreateString(e.signature);
  const auto origin = fbb.CreateString(e.origin_node);
  const auto prev = bytes(fbb, e.prev_hash);
  const auto hash = bytes(fbb, e.entry_hash);
  const auto link = bytes(fbb, e.link_signature);
  return wire::CreateAuditEntry(fbb, shard, e.seq, op, key, e.version, value, created_by, signature,
                                e.created_at_us, origin, prev, hash, link, e.term);
}

Offset<void> payload(FlatBufferBuilder &fbb, const DBSyncResp &m) {
  std::vector<Offset<wire::AuditEntry>> entries;
  entries.reserve(m.entries.size());
  for (const AuditEntry &e : m.entries)
    entries.push_back(audit_entry(fbb, e));
  return wire::CreateDBSyncResp(fbb, m.request_id, fbb.CreateVector(entries), m.more).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const BlacklistSync &m) {
  std::vector<Offset<wire::BlacklistEntry>> entries;
  entries.reserve(m.entries.size());
  for (const BlacklistEntry &e : m.entries) {
    const auto node = fbb.CreateString(e.node_id);
    const auto reason = fbb.CreateString(e.reason);
    const auto created_by = fbb.CreateString(e.created_by);
    const auto sig = bytes(fbb, e.signature);
    entries.push_back(wire::CreateBlacklistEntry(fbb, node, reason, created_by, e.created_at_ms,
                                                 e.expires_at_ms, sig));
  }
  return wire::CreateBlacklistSync(fbb, fbb.CreateVector(entries)).Union();
}

Offset<wire::AddressRecord> address_record(FlatBufferBuilder &fbb, const AddressRecord &r) {
  const auto node = fbb.CreateString(r.node_id);
  const auto host = fbb.CreateString(r.host);
  const auto sig = bytes(fbb, r.signature);
  return wire::CreateAddressRecord(fbb, node, host, r.port, r.expires_at_ms, sig);
}

Offset<void> payload(FlatBufferBuilder &fbb, const AddressRequest &m) {
  return wire::CreateAddressRequest(fbb, m.request_id).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const AddressReply &m) {
  std::vector<Offset<wire::AddressRecord>> records;
  records.reserve(m.records.size());
  for (const AddressRecord &r : m.records)
    records.push_back(address_record(fbb, r));
  return wire::CreateAddressReply(fbb, m.request_id, fbb.CreateVector(records)).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const RaftMessage &m) {
  return wire::CreateRaftMessage(fbb, bytes(fbb, m.data)).Union();
}

Offset<void> payload(FlatBufferBuilder &fbb, const AddressAnnounce &m) {
  return wire::CreateAddressAnnounce(fbb, address_record(fbb, m.record)).Union();
}

} // namespace

Bytes encode(const Envelope &envelope) {
  FlatBufferBuilder fbb(256);
  const auto sender = fbb.CreateString(envelope.sender_id);
  const auto nonce = bytes(fbb, envelope.nonce);
  const auto body = std::visit([&](const auto &m) { return payload(fbb, m); }, envelope.payload);
  const auto sig = bytes(fbb, envelope.signature);
  const auto root = wire::CreateEnvelope(fbb, envelope.version_major, envelope.version_minor,
                                         sender, envelope.timestamp_ms, nonce,
                                         detail::wire_type(envelope.payload), body, sig);
  wire::FinishEnvelopeBuffer(fbb, root);
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

} // namespace mycelium::protocol
