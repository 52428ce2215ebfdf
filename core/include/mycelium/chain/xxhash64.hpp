// XXH64 (Yann Collet's xxHash, 64-bit), the hash under Substrate's "twox" storage hashers
// (storage_key.hpp). Not cryptographic: Substrate uses it for names and keys no user chooses.
// Written from the xxHash specification (doc/xxhash_spec.md) rather than taken from Debian's
// libxxhash-dev: it is fifty lines, and one more build dependency on every machine that builds
// Mycelium would cost more than it saves. schemas/CHAIN.md, "Weights".
#pragma once

#include <cstddef>
#include <cstdint>

namespace mycelium::chain {

std::uint64_t xxhash64(const std::uint8_t *data, std::size_t size, std::uint64_t seed);

} // namespace mycelium::chain
