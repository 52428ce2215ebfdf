// UTF-8 (RFC 3629), the one definition of well-formed text in the project: the JSON readers
// (json_lexer.hpp: canonical JSON, the JSON values of chain answers and wallet files) and SCALE
// strings (a Rust String is valid UTF-8, so one that is not is malformed data, not text to
// repair). Overlong forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated
// sequences are invalid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mycelium {

// The length (1 to 4) of the valid UTF-8 sequence that starts at text[at], or 0 when none does
// (at >= text.size() included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// The offset of the first byte that does not start a valid UTF-8 sequence, or
// std::string_view::npos when all of `text` is valid.
std::size_t first_invalid_utf8(std::string_view text);

// Appends the UTF-8 encoding of `code_point` (at most U+10FFFF, not a surrogate) to `out`.
void append_utf8(std::string &out, std::uint32_t code_point);

} // namespace mycelium
