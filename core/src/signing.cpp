#include "mycelium/signing.hpp"

#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <arpa/inet.h>
#include <limits>

namespace mycelium {

PayloadWriter &PayloadWriter::frame(const std::uint8_t *data, std::size_t size) {
  if (size > std::numeric_limits<std::uint32_t>::max())
    throw Error(sqlstate::kInvalidParameterValue, "field longer than 4 GiB cannot be signed");
  const auto n = static_cast<std::uint32_t>(size);
  out_.push_back(static_cast<std::uint8_t>(n >> 24));
  out_.push_back(static_cast<std::uint8_t>(n >> 16));
  out_.push_back(static_cast<std::uint8_t>(n >> 8));
  out_.push_back(static_cast<std::uint8_t>(n));
  out_.insert(out_.end(), data, data + size);
  return *this;
}

PayloadWriter &PayloadWriter::frame(std::string_view bytes) {
  return frame(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
}

PayloadWriter &PayloadWriter::frame_u64(std::uint64_t value) {
  std::uint8_t be[8];
  for (int i = 7; i >= 0; --i, value >>= 8)
    be[i] = static_cast<std::uint8_t>(value);
  return frame(be, sizeof be);
}

void check_version(std::int64_t version) {
  if (version < 1 || version > std::numeric_limits<std::int32_t>::max())
    throw Error(sqlstate::kInvalidParameterValue,
                "version must be between 1 and 2147483647, got " + std::to_string(version));
}

Bytes put_payload(std::string_view shard_id, std::string_view key, std::int64_t version,
                  std::string_view created_by, std::string_view canonical_value) {
  check_version(version);
  return PayloadWriter(kPutTag)
      .frame(shard_id)
      .frame(key)
      .frame_u64(static_cast<std::uint64_t>(version))
      .frame(created_by)
      .frame(canonical_value)
      .take();
}

Bytes delete_payload(std::string_view shard_id, std::string_view key, std::int64_t version,
                     std::string_view created_by) {
  check_version(version);
  return PayloadWriter(kDeleteTag)
      .frame(shard_id)
      .frame(key)
      .frame_u64(static_cast<std::uint64_t>(version))
      .frame(created_by)
      .take();
}

Bytes registration_payload(const NodeRegistration &node) {
  if (node.node_type != "validator" && node.node_type != "miner")
    throw Error(sqlstate::kInvalidParameterValue,
                "node_type must be 'validator' or 'miner', got '" + node.node_type + "'");
  if (node.port < 1 || node.port > 65535)
    throw Error(sqlstate::kInvalidParameterValue,
                "port must be between 1 and 65535, got " + std::to_string(node.port));
  in6_addr address{};
  if (inet_pton(AF_INET, node.ip.c_str(), &address) != 1 &&
      inet_pton(AF_INET6, node.ip.c_str(), &address) != 1)
    throw Error(
        sqlstate::kInvalidParameterValue,
        "ip must be an IPv4 or IPv6 address (the node's PostgreSQL is reached there), got '" +
            node.ip + "'");
  const Bytes key = from_hex(node.public_key, 32 /* Ed25519 public key */, "public_key");
  return PayloadWriter(kRegisterNodeTag)
      .frame(node.node_id)
      .frame(node.node_type)
      .frame(key)
      .frame(node.ip)
      .frame_u64(static_cast<std::uint64_t>(node.port))
      .frame(node.version)
      .frame(node.canonical_capabilities)
      .take();
}

Bytes blacklist_entry_payload(std::string_view node_id, std::string_view reason,
                              std::string_view created_by, std::int64_t created_at_ms,
                              std::int64_t expires_at_ms) {
  // Signed integers are framed as their 64-bit two's complement, as everywhere in the protocol.
  return PayloadWriter(kBlacklistTag)
      .frame(node_id)
      .frame(reason)
      .frame(created_by)
      .frame_u64(static_cast<std::uint64_t>(created_at_ms))
      .frame_u64(static_cast<std::uint64_t>(expires_at_ms))
      .take();
}

} // namespace mycelium
