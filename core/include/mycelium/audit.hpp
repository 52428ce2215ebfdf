// The per-shard hash chain of the audit log (schemas/SIGNING.md, "Audit chain").
#pragma once

#include "mycelium/ed25519.hpp"

#include <array>

namespace mycelium {

using Hash = std::array<std::uint8_t, 32>;

Hash audit_entry_hash(const Hash &prev_hash, std::uint64_t seq, const Bytes &signing_payload,
                      const Signature &signature, std::string_view origin_node,
                      std::uint64_t created_at_us);

} // namespace mycelium
