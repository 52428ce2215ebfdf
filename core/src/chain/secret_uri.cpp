#include "mycelium/chain/secret_uri.hpp"

#include "mycelium/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

namespace mycelium::chain {

namespace {

bool is_phrase_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ';
}

[[noreturn]] void fail(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, "secret URI: " + what);
}

} // namespace

SecretUri::~SecretUri() {
  for (DeriveJunction &junction : junctions)
    sodium_memzero(junction.chain_code.data(), junction.chain_code.size());
}

SecretUri parse_secret_uri(std::string_view uri) {
  SecretUri parsed;
  // Every junction starts with a '/': reserving that many means no reallocation, so no
  // unzeroed copy of a chain code is left behind.
  parsed.junctions.reserve(static_cast<std::size_t>(std::count(uri.begin(), uri.end(), '/')));

  std::size_t pos = 0;
  while (pos < uri.size() && is_phrase_character(uri[pos]))
    ++pos;
  parsed.phrase = pos == 0 ? kDevPhrase : uri.substr(0, pos);

  while (pos < uri.size()) {
    if (uri[pos] != '/')
      fail("character " + std::to_string(pos + 1) +
           " is not allowed in a phrase (ASCII letters, digits and spaces only)");
    if (uri.compare(pos, 3, "///") == 0) {
      parsed.password = uri.substr(pos + 3);
      break;
    }
    const bool hard = uri.compare(pos, 2, "//") == 0;
    const std::size_t start = pos + (hard ? 2 : 1);
    const std::size_t end = std::min(uri.find('/', start), uri.size());
    if (end == start)
      fail("empty junction at character " + std::to_string(pos + 1));
    // Without the separating '/': DeriveJunction::parse reads a hard junction's second '/'.
    parsed.junctions.push_back(DeriveJunction::parse(uri.substr(pos + 1, end - pos - 1)));
    pos = end;
  }
  return parsed;
}

} // namespace mycelium::chain
