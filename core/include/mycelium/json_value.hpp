// A JSON value tree, read strictly (RFC 8259) by the shared JSON lexer (json_lexer.hpp, the same
// rules as canonical JSON's): the chain's JSON-RPC answers (agent/chain) and Bittensor wallet
// files (chain/bittensor_wallet.hpp) are read with it. Numbers keep their text: the accessors
// convert them exactly or refuse.
//
// The values may be secrets (a wallet's seed): every string a JsonValue holds (a string value, a
// number's text) is decoded into a buffer reserved once, and zeroed when the value is destroyed,
// moved-from copies included, so that none is left in freed memory. Member names are not secret
// and not zeroed, nor is what to_json() returns.
#pragma once

#include "mycelium/json_lexer.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mycelium {

class JsonValue {
public:
  using Kind = JsonKind;

  JsonValue() = default; // null
  JsonValue(const JsonValue &) = default;
  JsonValue(JsonValue &&) noexcept;
  JsonValue &operator=(const JsonValue &);
  JsonValue &operator=(JsonValue &&) noexcept;
  ~JsonValue(); // zeroes the string's buffer

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_number() const { return kind_ == Kind::number; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }

  // The accessors throw JsonError naming `what` (e.g. "header.number") when the value is not
  // of that kind, or a number does not fit.
  bool as_bool(std::string_view what) const;
  const std::string &as_string(std::string_view what) const;
  std::int64_t as_int64(std::string_view what) const;
  std::uint64_t as_uint64(std::string_view what) const;
  const std::vector<JsonValue> &as_array(std::string_view what) const;

  // The member `key` of an object, or nullptr if this is not an object or has no such member.
  const JsonValue *find(std::string_view key) const;
  // The member `key`, which must exist (JsonError naming `what` otherwise).
  const JsonValue &at(std::string_view key, std::string_view what) const;
  // An object's members in the order of the text (names unique).
  const std::vector<std::pair<std::string, JsonValue>> &members() const { return members_; }

  // The value as compact JSON text (for error data shown to a user).
  std::string to_json() const;

  // "null", "a boolean", "a number", "a string", "an array", "an object": for messages.
  static const char *kind_name(Kind kind);

private:
  friend class JsonValueReader;
  Kind kind_ = Kind::null;
  bool boolean_ = false;
  std::string text_; // a string's contents, or a number's text as written
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// The most objects and arrays parse_json nests (the chain's answers are a few levels deep; its
// metadata comes as one hex string).
inline constexpr int kJsonValueMaxDepth = 64;

// Parses exactly one JSON value (surrounding whitespace allowed). Throws JsonError
// "<context>: <what> (at byte N)" on invalid JSON, invalid UTF-8 in strings, lone surrogates,
// duplicate member names, or nesting deeper than kJsonValueMaxDepth levels.
JsonValue parse_json(std::string_view text, std::string_view context = "invalid JSON");

} // namespace mycelium
