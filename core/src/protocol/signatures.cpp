// The signed bytes of the protocol (PROTOCOL.md, "Signing bytes", "Gossip signatures"): the
// PayloadWriter framing of schemas/SIGNING.md over the values, never over flatbuffer bytes,
// which differ between flatbuffers implementations.
#include "mycelium/protocol/envelope.hpp"
#include "mycelium/signing.hpp"

#include <sodium.h>

#include <chrono>

namespace mycelium::protocol {
namespace {

// Signed integers are framed as their 64-bit two's complement.
std::uint64_t u64(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

template <std::size_t N> void fixed(PayloadWriter &w, const std::array<std::uint8_t, N> &a) {
  w.frame(a.data(), a.size());
}

void fields(PayloadWriter &w, const HandshakeMsg &m) {
  w.frame(m.data);
}
void fields(PayloadWriter &w, const HandshakeResponseMsg &m) {
  w.frame(m.data);
}
void fields(PayloadWriter &w, const Ping &m) {
  w.frame_u64(m.seq).frame_u64(u64(m.sent_ms));
}
void fields(PayloadWriter &w, const Pong &m) {
  w.frame_u64(m.seq).frame_u64(u64(m.sent_ms));
}

void fields(PayloadWriter &w, const Gossip &m) {
  fixed(w, m.message_id);
  w.frame(m.origin).frame_u64(m.ttl).frame(m.topic).frame(m.body);
  w.frame_u64(u64(m.origin_timestamp_ms));
  fixed(w, m.origin_signature);
}

void fields(PayloadWriter &w, const Status &m) {
  w.frame(m.node_id).frame(m.version);
  w.frame_u64(u64(m.start_time_ms)).frame_u64(u64(m.last_sync_ms));
  w.frame_u64(u64(m.last_heartbeat_ms)).frame_u64(m.active ? 1 : 0);
  w.frame(m.status).frame_u64(m.peer_count).frame_u64(m.serving_rate_milli);
  w.frame_u64(m.sync_progress_ppm).frame_u64(m.response_latency_us).frame_u64(m.memory_bytes);
  w.frame_u64(m.cpu_percent_milli);
}

// Repeated items: a count, then each item's fields; the type fixes how many fields an item has.
void fields(PayloadWriter &w, const DBSyncReq &m) {
  w.frame_u64(m.request_id).frame_u64(m.cursors.size());
  for (const SyncCursor &c : m.cursors)
    w.frame(c.shard_id).frame(c.origin).frame_u64(u64(c.last_seq));
  w.frame_u64(m.page_size);
}

void fields(PayloadWriter &w, const DBSyncResp &m) {
  w.frame_u64(m.request_id).frame_u64(m.entries.size());
  for (const AuditEntry &e : m.entries) {
    w.frame(e.shard_id).frame_u64(u64(e.seq)).frame(e.op).frame(e.key);
    w.frame_u64(u64(e.version)).frame(e.value_json).frame(e.created_by).frame(e.signature);
    w.frame_u64(u64(e.created_at_us)).frame(e.origin_node);
    fixed(w, e.prev_hash);
    fixed(w, e.entry_hash);
    fixed(w, e.link_signature);
    w.frame_u64(e.term);
  }
  w.frame_u64(m.more ? 1 : 0);
}

void blacklist_fields(PayloadWriter &w, const BlacklistEntry &e) {
  w.frame(e.node_id).frame(e.reason).frame(e.created_by);
  w.frame_u64(u64(e.created_at_ms)).frame_u64(u64(e.expires_at_ms));
}

void fields(PayloadWriter &w, const BlacklistSync &m) {
  w.frame_u64(m.entries.size());
  for (const BlacklistEntry &e : m.entries) {
    blacklist_fields(w, e);
    fixed(w, e.signature);
  }
}

void record_fields(PayloadWriter &w, const AddressRecord &r) {
  w.frame(r.node_id).frame(r.host).frame_u64(r.port).frame_u64(u64(r.expires_at_ms));
  fixed(w, r.signature);
}

void fields(PayloadWriter &w, const AddressRequest &m) {
  w.frame_u64(m.request_id);
}

void fields(PayloadWriter &w, const AddressReply &m) {
  w.frame_u64(m.request_id).frame_u64(m.records.size());
  for (const AddressRecord &r : m.records)
    record_fields(w, r);
}

// A nested table's fields follow in place, as a one-item vector's would, without the count.
void fields(PayloadWriter &w, const AddressAnnounce &m) {
  record_fields(w, m.record);
}

void fields(PayloadWriter &w, const RaftMessage &m) {
  w.frame(m.data);
}

} // namespace

Bytes signing_bytes(const Envelope &envelope) {
  PayloadWriter w(kEnvelopeTag);
  w.frame_u64(envelope.version_major).frame_u64(envelope.version_minor);
  w.frame(type_name(envelope.payload)).frame(envelope.sender_id);
  w.frame_u64(u64(envelope.timestamp_ms));
  fixed(w, envelope.nonce);
  std::visit([&](const auto &m) { fields(w, m); }, envelope.payload);
  return w.take();
}

void sign(Envelope &envelope, const SecretKey &key) {
  envelope.signature = key.sign(signing_bytes(envelope));
}

bool verify_signature(const Envelope &envelope, const PublicKey &sender_key) {
  return verify(envelope.signature, signing_bytes(envelope), sender_key);
}

Nonce random_nonce() {
  ensure_sodium();
  Nonce nonce;
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Bytes gossip_signing_bytes(const Gossip &gossip) {
  return PayloadWriter(kGossipTag)
      .frame(gossip.origin)
      .frame(gossip.topic)
      .frame(gossip.body)
      .frame_u64(u64(gossip.origin_timestamp_ms))
      .take();
}

MessageId gossip_message_id(const Gossip &gossip) {
  const Bytes bytes = gossip_signing_bytes(gossip);
  MessageId id;
  crypto_hash_sha256(id.data(), bytes.data(), bytes.size());
  return id;
}

void sign_gossip(Gossip &gossip, const SecretKey &origin_key) {
  const Bytes bytes = gossip_signing_bytes(gossip);
  crypto_hash_sha256(gossip.message_id.data(), bytes.data(), bytes.size());
  gossip.origin_signature = origin_key.sign(bytes);
}

bool verify_gossip(const Gossip &gossip, const PublicKey &origin_key) {
  const Bytes bytes = gossip_signing_bytes(gossip);
  MessageId id;
  crypto_hash_sha256(id.data(), bytes.data(), bytes.size());
  // The id is public, so comparing it in variable time leaks nothing.
  return id == gossip.message_id && verify(gossip.origin_signature, bytes, origin_key);
}

Bytes blacklist_signing_bytes(const BlacklistEntry &entry) {
  return blacklist_entry_payload(entry.node_id, entry.reason, entry.created_by, entry.created_at_ms,
                                 entry.expires_at_ms);
}

void sign_blacklist_entry(BlacklistEntry &entry, const SecretKey &creator_key) {
  entry.signature = creator_key.sign(blacklist_signing_bytes(entry));
}

bool verify_blacklist_entry(const BlacklistEntry &entry, const PublicKey &creator_key) {
  return verify(entry.signature, blacklist_signing_bytes(entry), creator_key);
}

} // namespace mycelium::protocol
