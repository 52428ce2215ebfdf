// CRC-32C (Castagnoli), for detecting torn and corrupted records in the Raft storage files. Not a
// defence against tampering: the files are as trusted as the node's own disk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mycelium::consensus::detail {

std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc = 0);

} // namespace mycelium::consensus::detail
