// UTF-8 validation for SCALE strings (Rust's String must be valid UTF-8, and the chain never
// produces anything else, so a string that is not is malformed data, not text to repair).
#pragma once

#include <cstddef>
#include <string_view>

namespace mycelium::chain {

// The offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates, code points above U+10FFFF and truncated sequences are invalid), or
// std::string_view::npos when all of it is valid.
std::size_t first_invalid_utf8(std::string_view text);

} // namespace mycelium::chain
