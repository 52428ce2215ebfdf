// The byte string every layer passes around (keys, signatures, frames, signed payloads), on its
// own so that a header needing bytes does not pull in the signing format.
#pragma once

#include <cstdint>
#include <vector>

namespace mycelium {

using Bytes = std::vector<std::uint8_t>;

} // namespace mycelium
