// The exact bytes that are signed (schemas/SIGNING.md): domain-separated, length-prefixed.
#pragma once

#include "mycelium/bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium {

inline constexpr std::string_view kPutTag = "mycelium/v1/put";
inline constexpr std::string_view kDeleteTag = "mycelium/v1/delete";
inline constexpr std::string_view kRegisterNodeTag = "mycelium/v1/register-node";
inline constexpr std::string_view kAuditTag = "mycelium/v1/audit";
inline constexpr std::string_view kBlacklistTag = "mycelium/v1/blacklist";

// Appends frames: u32 big-endian length, then the bytes.
class PayloadWriter {
public:
  explicit PayloadWriter(std::string_view tag) { frame(tag); }
  PayloadWriter &frame(std::string_view bytes);
  PayloadWriter &frame(const std::uint8_t *data, std::size_t size);
  PayloadWriter &frame(const Bytes &bytes) { return frame(bytes.data(), bytes.size()); }
  PayloadWriter &frame_u64(std::uint64_t value);
  Bytes take() { return std::move(out_); }

private:
  Bytes out_;
};

// Record versions are 1 .. 2^31-1 (SQL integer); anything else throws Error 22023.
void check_version(std::int64_t version);

// `canonical_value` must already be canonical_json(value): callers canonicalise once and reuse.
Bytes put_payload(std::string_view shard_id, std::string_view key, std::int64_t version,
                  std::string_view created_by, std::string_view canonical_value);
Bytes delete_payload(std::string_view shard_id, std::string_view key, std::int64_t version,
                     std::string_view created_by);

struct NodeRegistration {
  std::string node_id;
  std::string node_type;  // "validator" or "miner"
  std::string public_key; // lowercase hex
  std::string ip;
  std::int64_t port = 0;
  std::string version;
  std::string canonical_capabilities = "{}";
};
// Checks node_type, ip (an IPv4 or IPv6 address), port (1..65535) and the public key's hex;
// throws Error 22023.
Bytes registration_payload(const NodeRegistration &node);

// A blacklist entry's signing bytes (PROTOCOL.md "BlacklistSync"), signed by created_by. Here
// rather than in the protocol library so that the extension verifies entries with the same
// code as the agent (mycelium.blacklist_add). Times are Unix milliseconds; expires 0 = never.
Bytes blacklist_entry_payload(std::string_view node_id, std::string_view reason,
                              std::string_view created_by, std::int64_t created_at_ms,
                              std::int64_t expires_at_ms);

} // namespace mycelium
