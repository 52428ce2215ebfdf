// Canonical JSON (schemas/SIGNING.md, "Canonical JSON"): the one spelling of a value that is
// signed. Computable by any client without asking the database.
#pragma once

#include <string>
#include <string_view>

namespace mycelium {

// Parses `json` (any valid JSON text) and returns its canonical form. Invalid JSON, duplicate
// keys, ambiguous numbers, lone surrogates, invalid UTF-8, U+0000 and nesting deeper than 512
// throw Error 22023 with a message that starts with `field`.
std::string canonical_json(std::string_view json, std::string_view field = "value");

// `text` (UTF-8) as a JSON string literal with the canonical escapes: quote, backslash, the
// short escapes \b \t \n \f \r, other control characters as \u00xx, everything else raw.
std::string json_string(std::string_view text);

} // namespace mycelium
