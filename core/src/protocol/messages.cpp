#include "mycelium/protocol/messages.hpp"

#include "wire.hpp"

#include <tuple>

namespace mycelium::protocol {

std::string_view type_name(const Payload &payload) {
  return wire::EnumNameMessage(detail::wire_type(payload));
}

bool operator==(const HandshakeMsg &a, const HandshakeMsg &b) {
  return a.data == b.data;
}
bool operator==(const HandshakeResponseMsg &a, const HandshakeResponseMsg &b) {
  return a.data == b.data;
}
bool operator==(const Ping &a, const Ping &b) {
  return a.seq == b.seq && a.sent_ms == b.sent_ms;
}
bool operator==(const Pong &a, const Pong &b) {
  return a.seq == b.seq && a.sent_ms == b.sent_ms;
}

bool operator==(const Gossip &a, const Gossip &b) {
  return std::tie(a.message_id, a.origin, a.ttl, a.topic, a.body, a.origin_timestamp_ms,
                  a.origin_signature) == std::tie(b.message_id, b.origin, b.ttl, b.topic, b.body,
                                                  b.origin_timestamp_ms, b.origin_signature);
}

bool operator==(const Status &a, const Status &b) {
  return std::tie(a.node_id, a.version, a.start_time_ms, a.last_sync_ms, a.last_heartbeat_ms,
                  a.active, a.status, a.peer_count, a.serving_rate_milli, a.sync_progress_ppm,
                  a.response_latency_us, a.memory_bytes, a.cpu_percent_milli) ==
         std::tie(b.node_id, b.version, b.start_time_ms, b.last_sync_ms, b.last_heartbeat_ms,
                  b.active, b.status, b.peer_count, b.serving_rate_milli, b.sync_progress_ppm,
                  b.response_latency_us, b.memory_bytes, b.cpu_percent_milli);
}

bool operator==(const SyncCursor &a, const SyncCursor &b) {
  return std::tie(a.shard_id, a.origin, a.last_seq) == std::tie(b.shard_id, b.origin, b.last_seq);
}

bool operator==(const DBSyncReq &a, const DBSyncReq &b) {
  return std::tie(a.request_id, a.cursors, a.page_size) ==
         std::tie(b.request_id, b.cursors, b.page_size);
}

bool operator==(const AuditEntry &a, const AuditEntry &b) {
  return std::tie(a.shard_id, a.seq, a.op, a.key, a.version, a.value_json, a.created_by,
                  a.signature, a.created_at_us, a.origin_node, a.prev_hash, a.entry_hash,
                  a.link_signature, a.term) == std::tie(b.shard_id, b.seq, b.op, b.key, b.version,
                                                        b.value_json, b.created_by, b.signature,
                                                        b.created_at_us, b.origin_node, b.prev_hash,
                                                        b.entry_hash, b.link_signature, b.term);
}

bool operator==(const DBSyncResp &a, const DBSyncResp &b) {
  return std::tie(a.request_id, a.entries, a.more) == std::tie(b.request_id, b.entries, b.more);
}

bool operator==(const BlacklistEntry &a, const BlacklistEntry &b) {
  return std::tie(a.node_id, a.reason, a.created_by, a.created_at_ms, a.expires_at_ms,
                  a.signature) ==
         std::tie(b.node_id, b.reason, b.created_by, b.created_at_ms, b.expires_at_ms, b.signature);
}

bool operator==(const BlacklistSync &a, const BlacklistSync &b) {
  return a.entries == b.entries;
}

bool operator==(const AddressRecord &a, const AddressRecord &b) {
  return std::tie(a.node_id, a.host, a.port, a.expires_at_ms, a.signature) ==
         std::tie(b.node_id, b.host, b.port, b.expires_at_ms, b.signature);
}
bool operator==(const AddressRequest &a, const AddressRequest &b) {
  return a.request_id == b.request_id;
}
bool operator==(const AddressReply &a, const AddressReply &b) {
  return a.request_id == b.request_id && a.records == b.records;
}
bool operator==(const RaftMessage &a, const RaftMessage &b) {
  return a.data == b.data;
}
bool operator==(const AddressAnnounce &a, const AddressAnnounce &b) {
  return a.record == b.record;
}

} // namespace mycelium::protocol
