// The byte encoding of Raft messages between peers (schemas/CONSENSUS.md, "Message format").
//
// The decoder reads bytes from the network: it never trusts a length, checks every count
// against the bytes that remain and against Limits before allocating, rejects unknown kinds,
// flags and roles, and rejects trailing bytes. A rejection throws CodecError with a message
// naming the field; the caller drops the message (Raft retries on its own).
#pragma once

#include "mycelium/consensus/raft_wire_types.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mycelium::consensus {

inline constexpr std::uint8_t kRaftWireVersion = 1;

struct CodecLimits {
  std::size_t max_message_bytes = 64u << 20; // whole encoded message
  std::uint32_t max_entries = 65536;         // per AppendEntries
  std::uint32_t max_members = 64;            // per configuration
  std::uint16_t max_address_bytes = 255;
};

class CodecError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

Bytes encode_raft_message(const RaftEnvelope &message);

// Throws CodecError if `bytes` is not exactly one well-formed message within `limits`.
RaftEnvelope decode_raft_message(const std::uint8_t *bytes, std::size_t size,
                                 const CodecLimits &limits = {});
inline RaftEnvelope decode_raft_message(const Bytes &bytes, const CodecLimits &limits = {}) {
  return decode_raft_message(bytes.data(), bytes.size(), limits);
}

// The configuration encoding shared by the wire (InstallSnapshot) and the snapshot file.
void append_membership(Bytes &out, const Membership &members);

} // namespace mycelium::consensus
