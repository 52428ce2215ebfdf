// A JSON value tree, read strictly (RFC 8259), for the chain's JSON-RPC answers. The project's
// other JSON code either canonicalizes without keeping a tree (core's canonical_json) or is
// flatbuffers' schema-driven parser; an answer of the chain needs lookups by member name, so
// this small reader keeps the parsed value. Numbers keep their text: the accessors convert them
// exactly or refuse.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mycelium::chain {

// Malformed JSON text, or a value that is not of the kind asked for. The message says where
// (the byte offset) or what (the name the caller gave).
class JsonError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class JsonValue {
public:
  enum class Kind { null, boolean, number, string, array, object };

  JsonValue() = default; // null

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
  const std::vector<std::pair<std::string, JsonValue>> &members() const { return members_; }

  // The value as compact JSON text (for error data shown to a user).
  std::string to_json() const;

private:
  friend class JsonReader;
  Kind kind_ = Kind::null;
  bool boolean_ = false;
  std::string text_; // a string's contents, or a number's text as written
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Throws JsonError on invalid
// JSON, invalid UTF-8 in strings, lone surrogates, duplicate member names, or nesting deeper
// than 64 levels (the chain's answers are a few levels deep; metadata comes as one hex string).
JsonValue parse_json(std::string_view text);

} // namespace mycelium::chain
