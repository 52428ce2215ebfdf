// Canonical JSON (schemas/SIGNING.md): the shared JSON lexer (json_lexer.hpp) read value by
// value, the canonical form written while it reads: members sorted, numbers canonicalised.
#include "mycelium/canonical_json.hpp"

#include "mycelium/json_lexer.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace mycelium {

namespace {

constexpr int kMaxDepth = 512;
constexpr int kMaxSignificantDigits = 15;
constexpr int kMinExponent = -307; // of the leading digit: 1e-307 is the smallest allowed
constexpr int kMaxExponent = 308;

class Canonicalizer {
public:
  Canonicalizer(std::string_view text, std::string_view field)
      : lex_(text, field, JsonRules{kMaxDepth, /*refuse_nul=*/true}) {}

  std::string run() {
    std::string out;
    lex_.skip_space();
    value(out, 0);
    lex_.end();
    return out;
  }

private:
  JsonLexer lex_;

  // `depth` is the number of enclosing objects and arrays. A level is an object or array, so a
  // container at depth 511 is the 512th level; scalars add none.
  void value(std::string &out, int depth) {
    switch (lex_.kind_ahead()) {
    case JsonKind::object:
      object(out, depth);
      break;
    case JsonKind::array:
      array(out, depth);
      break;
    case JsonKind::string: {
      std::string s;
      lex_.string(s);
      out += json_string(s);
      break;
    }
    case JsonKind::number:
      number(out);
      break;
    case JsonKind::boolean:
      out += lex_.boolean() ? "true" : "false";
      break;
    case JsonKind::null:
      lex_.null();
      out += "null";
      break;
    }
  }

  void object(std::string &out, int depth) {
    lex_.begin_container(depth);
    std::vector<std::pair<std::string, std::string>> members; // decoded key, canonical value
    for (bool first = true; lex_.more('}', first); first = false) {
      std::string key;
      lex_.member_name(key);
      std::string member;
      value(member, depth + 1);
      members.emplace_back(std::move(key), std::move(member));
    }
    // std::string compares as unsigned bytes via char_traits<char>::compare (memcmp order).
    std::sort(members.begin(), members.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (std::size_t i = 1; i < members.size(); ++i)
      if (members[i].first == members[i - 1].first)
        lex_.fail("duplicate key \"" + members[i].first + "\"");
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i)
        out += ',';
      out += json_string(members[i].first);
      out += ':';
      out += members[i].second;
    }
    out += '}';
  }

  void array(std::string &out, int depth) {
    lex_.begin_container(depth);
    out += '[';
    for (bool first = true; lex_.more(']', first); first = false) {
      if (!first)
        out += ',';
      value(out, depth + 1);
    }
    out += ']';
  }

  void number(std::string &out) {
    const JsonNumber n = lex_.number();
    // Value = 0.digits × 10^(point + exponent), after dropping leading zeros.
    std::string digits(n.int_digits); // all mantissa digits, integer part then fraction
    digits += n.fraction_digits;
    const auto point = static_cast<std::int64_t>(n.int_digits.size());
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
      out += '0';
      return;
    }
    std::string sig = digits.substr(first);
    std::int64_t decimal_point = point + n.exponent - static_cast<std::int64_t>(first);
    sig.erase(sig.find_last_not_of('0') + 1);
    const std::string literal(n.literal);
    if (static_cast<int>(sig.size()) > kMaxSignificantDigits)
      lex_.fail("number " + literal + " has more than " + std::to_string(kMaxSignificantDigits) +
                " significant digits, so its value differs between JSON parsers");
    const std::int64_t leading_exponent = decimal_point - 1; // sig[0] × 10^leading_exponent
    // The limits are values, not leading exponents: 2e308 (above 1e308, and not a finite double)
    // is out, 9.99e-307 is in.
    if (leading_exponent < kMinExponent || leading_exponent > kMaxExponent ||
        (leading_exponent == kMaxExponent && sig != "1"))
      lex_.fail("number " + literal + " is outside 1e-307 .. 1e308");

    if (n.negative)
      out += '-';
    if (decimal_point <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decimal_point), '0');
      out += sig;
    } else if (decimal_point >= static_cast<std::int64_t>(sig.size())) {
      out += sig;
      out.append(static_cast<std::size_t>(decimal_point - static_cast<std::int64_t>(sig.size())),
                 '0');
    } else {
      out.append(sig, 0, static_cast<std::size_t>(decimal_point));
      out += '.';
      out.append(sig, static_cast<std::size_t>(decimal_point), std::string::npos);
    }
  }
};

} // namespace

std::string json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (u < 0x20) {
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
      } else {
        out += c;
      }
    }
  }
  out += '"';
  return out;
}

std::string canonical_json(std::string_view json, std::string_view field) {
  return Canonicalizer(json, field).run();
}

} // namespace mycelium
