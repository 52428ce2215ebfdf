// The lexical layer of the project's one JSON reader (RFC 8259, strict), under both of its
// parsers: canonical JSON (canonical_json.hpp, which writes the canonical form while it reads, for
// signing) and JSON values (json_value.hpp, which keep what they read: chain answers, wallet
// files). Whitespace, literals, string literals (escapes, \u surrogate pairs, UTF-8 by utf8.hpp),
// number literals, the object and array punctuation and the nesting limit each have one rule and
// one message here. What the parsers add: canonical JSON sorts members and canonicalises numbers,
// JSON values build a tree.
#pragma once

#include "mycelium/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mycelium {

// Malformed JSON text, or (json_value.hpp) a value that is not of the kind asked for:
// Error 22023. Syntax errors read "<context>: <what> (at byte N)".
class JsonError : public Error {
public:
  explicit JsonError(const std::string &message)
      : Error(sqlstate::kInvalidParameterValue, message) {}
};

enum class JsonKind { null, boolean, number, string, array, object };

// What a parser accepts beyond RFC 8259's grammar, which every parser enforces.
struct JsonRules {
  // Objects and arrays nested deeper than this are refused (scalars add no level): with 2, [[1]]
  // is read and [[[1]]] refused.
  int max_depth = 64;
  // Whether \u0000 in a string is refused (canonical JSON: PostgreSQL's jsonb cannot store it).
  bool refuse_nul = false;
};

// A number literal as written, split. Its value is
// (negative ? -1 : 1) × int_digits.fraction_digits × 10^exponent.
struct JsonNumber {
  std::string_view literal;         // the whole literal, sign included
  bool negative = false;            // a leading '-' (also for zeros: "-0")
  std::string_view int_digits;      // "0" or [1-9][0-9]*
  std::string_view fraction_digits; // after the '.', empty without one
  // The exponent's value, with its magnitude saturated at 10^17: beyond any digit count a text
  // can have, so that a mantissa cannot bring a saturated exponent back into any range
  // ("1" + 200000 zeros + "e-2000000" is 1e-1800000, not 1), and with int64 room to spare.
  std::int64_t exponent = 0;
};

// A cursor over one JSON text. The parsers call it value by value: at a value, kind_ahead() tells
// what it is, then begin_container (objects, arrays), string, number, boolean or null reads it.
// Every refusal throws JsonError "<context>: <what> (at byte N)".
class JsonLexer {
public:
  JsonLexer(std::string_view text, std::string_view context, JsonRules rules)
      : in_(text), context_(context), rules_(rules) {}

  std::size_t position() const { return pos_; }
  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  void skip_space() {
    while (!at_end() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }
  // Skips the whitespace after the text's one value and refuses anything else after it.
  void end();

  // The kind of the value at the position (not read). Refuses what starts no value ("invalid
  // JSON value", "unexpected end of JSON"); a misspelt literal is refused when read.
  JsonKind kind_ahead() const;

  // At '{' or '[': refuses it if it would nest deeper than the rules allow (`depth` is the
  // number of containers around it), else reads it and the whitespace after it.
  void begin_container(int depth);
  // Whether another element or member follows in the container that `close` ('}' or ']') ends:
  // called before each one, `first` before the first. Reads the ',' or the closing bracket and
  // the whitespace around; refuses anything else.
  bool more(char close, bool first);
  // A member's name (appended to `out`, as string() does), then its ':' and the whitespace
  // around. Returns the offset where the name starts.
  std::size_t member_name(std::string &out);

  // The string literal at the position, decoded (escapes, surrogate pairs) and appended to `out`.
  // `out` is reserved once to the literal's raw length, which its decoded form never exceeds: the
  // text is never reallocated, so no copy of it (a secret, say) is left in freed memory.
  void string(std::string &out);
  JsonNumber number();
  bool boolean(); // true or false
  void null();

  [[noreturn]] void fail(const std::string &what) const { fail_at(what, pos_); }
  [[noreturn]] void fail_at(const std::string &what, std::size_t at) const;

private:
  void expect(char c);
  void literal(std::string_view word);
  std::uint32_t hex4(std::size_t escape);

  std::string_view in_;
  std::string_view context_;
  JsonRules rules_;
  std::size_t pos_ = 0;
};

} // namespace mycelium
