// A strict JSON parser that writes the canonical form while it reads (schemas/SIGNING.md).
#include "mycelium/canonical_json.hpp"

#include "mycelium/error.hpp"

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
  Canonicalizer(std::string_view text, std::string_view field) : in_(text), field_(field) {}

  std::string run() {
    std::string out;
    skip_space();
    value(out, 0);
    skip_space();
    if (pos_ != in_.size())
      fail("unexpected text after the JSON value");
    return out;
  }

private:
  std::string_view in_;
  std::string_view field_;
  std::size_t pos_ = 0;

  [[noreturn]] void fail(const std::string &what) const {
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(field_) + ": " + what + " (at byte " + std::to_string(pos_) + ")");
  }

  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }

  void skip_space() {
    while (!at_end() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }

  void expect(char c) {
    if (peek() != c)
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  void literal(std::string_view word, std::string &out) {
    if (in_.substr(pos_, word.size()) != word)
      fail("invalid JSON value");
    pos_ += word.size();
    out += word;
  }

  // `depth` is the number of enclosing objects and arrays. A level is an object or array, so a
  // container at depth 511 is the 512th level; scalars add none.
  void value(std::string &out, int depth) {
    if (depth >= kMaxDepth && (peek() == '{' || peek() == '['))
      fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    switch (peek()) {
    case '{':
      object(out, depth);
      break;
    case '[':
      array(out, depth);
      break;
    case '"': {
      std::string s = string();
      write_string(s, out);
      break;
    }
    case 't':
      literal("true", out);
      break;
    case 'f':
      literal("false", out);
      break;
    case 'n':
      literal("null", out);
      break;
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        number(out);
      else
        fail(at_end() ? "unexpected end of JSON" : "invalid JSON value");
    }
  }

  void object(std::string &out, int depth) {
    expect('{');
    std::vector<std::pair<std::string, std::string>> members; // decoded key, canonical value
    skip_space();
    if (peek() == '}') {
      ++pos_;
      out += "{}";
      return;
    }
    for (;;) {
      skip_space();
      if (peek() != '"')
        fail("expected a string key");
      std::string key = string();
      skip_space();
      expect(':');
      skip_space();
      std::string member;
      value(member, depth + 1);
      members.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      break;
    }
    // std::string compares as unsigned bytes via char_traits<char>::compare (memcmp order).
    std::sort(members.begin(), members.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (std::size_t i = 1; i < members.size(); ++i)
      if (members[i].first == members[i - 1].first)
        fail("duplicate key \"" + members[i].first + "\"");
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i)
        out += ',';
      write_string(members[i].first, out);
      out += ':';
      out += members[i].second;
    }
    out += '}';
  }

  void array(std::string &out, int depth) {
    expect('[');
    out += '[';
    skip_space();
    if (peek() == ']') {
      ++pos_;
      out += ']';
      return;
    }
    for (bool first = true;; first = false) {
      if (!first)
        out += ',';
      skip_space();
      value(out, depth + 1);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      break;
    }
    out += ']';
  }

  unsigned hex4() {
    if (pos_ + 4 > in_.size())
      fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        fail("invalid \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string &s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xc0 | cp >> 6);
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | cp >> 12);
      s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | cp >> 18);
      s += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // Copies one raw UTF-8 sequence, validating it (no overlongs, surrogates or > U+10FFFF).
  void utf8_char(std::string &s) {
    const auto b0 = static_cast<unsigned char>(in_[pos_]);
    int len;
    std::uint32_t cp, min;
    if (b0 < 0x80) {
      len = 1, cp = b0, min = 0;
    } else if ((b0 & 0xe0) == 0xc0) {
      len = 2, cp = b0 & 0x1f, min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3, cp = b0 & 0x0f, min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      fail("invalid UTF-8");
    }
    if (pos_ + len > in_.size())
      fail("invalid UTF-8");
    for (int i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(in_[pos_ + i]);
      if ((b & 0xc0) != 0x80)
        fail("invalid UTF-8");
      cp = cp << 6 | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      fail("invalid UTF-8");
    s.append(in_.substr(pos_, len));
    pos_ += len;
  }

  // Returns the decoded UTF-8 content of a JSON string.
  std::string string() {
    expect('"');
    std::string s;
    for (;;) {
      if (at_end())
        fail("unterminated string");
      const char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return s;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        fail("unescaped control character in string");
      if (c != '\\') {
        utf8_char(s);
        continue;
      }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        s += e;
        break;
      case 'b':
        s += '\b';
        break;
      case 'f':
        s += '\f';
        break;
      case 'n':
        s += '\n';
        break;
      case 'r':
        s += '\r';
        break;
      case 't':
        s += '\t';
        break;
      case 'u': {
        std::uint32_t cp = hex4();
        if (cp >= 0xdc00 && cp <= 0xdfff)
          fail("lone low surrogate in \\u escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (in_.substr(pos_, 2) != "\\u")
            fail("lone high surrogate in \\u escape");
          pos_ += 2;
          const std::uint32_t lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff)
            fail("lone high surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0)
          fail("U+0000 is not allowed in strings");
        append_utf8(s, cp);
        break;
      }
      default:
        fail("invalid escape in string");
      }
    }
  }

  static void write_string(const std::string &s, std::string &out) { out += json_string(s); }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void number(std::string &out) {
    const std::size_t start = pos_;
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    // Grammar: int part ("0" or [1-9][0-9]*), optional fraction, optional exponent.
    std::string digits;     // all mantissa digits, integer part then fraction
    std::int64_t point = 0; // digits before the decimal point
    if (peek() == '0') {
      digits += '0';
      ++pos_;
    } else if (is_digit(peek())) {
      while (is_digit(peek()))
        digits += in_[pos_++];
    } else {
      fail("invalid number");
    }
    point = static_cast<std::int64_t>(digits.size());
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(peek()))
        fail("invalid number: digits must follow '.'");
      while (is_digit(peek()))
        digits += in_[pos_++];
    }
    std::int64_t exponent = 0;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      bool exp_negative = false;
      if (peek() == '+' || peek() == '-')
        exp_negative = in_[pos_++] == '-';
      if (!is_digit(peek()))
        fail("invalid number: digits must follow the exponent");
      while (is_digit(peek())) {
        // Saturate: anything this large is rejected below anyway. The bound must exceed any
        // possible digit count, which the mantissa can use to bring a huge exponent back into
        // range ("1" + 200000 zeros + "e-2000000" is 1e-1800000, not 1); 10^17 does and still
        // leaves int64 room for exponent * 10 + 9 and the additions below.
        if (exponent < 100000000000000000)
          exponent = exponent * 10 + (in_[pos_] - '0');
        ++pos_;
      }
      if (exp_negative)
        exponent = -exponent;
    }
    const std::string literal(in_.substr(start, pos_ - start));

    // Value = 0.digits × 10^(point + exponent), after dropping leading zeros.
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
      out += '0';
      return;
    }
    std::string sig = digits.substr(first);
    std::int64_t decimal_point = point + exponent - static_cast<std::int64_t>(first);
    sig.erase(sig.find_last_not_of('0') + 1);
    if (static_cast<int>(sig.size()) > kMaxSignificantDigits)
      fail("number " + literal + " has more than " + std::to_string(kMaxSignificantDigits) +
           " significant digits, so its value differs between JSON parsers");
    const std::int64_t leading_exponent = decimal_point - 1; // sig[0] × 10^leading_exponent
    // The limits are values, not leading exponents: 2e308 (above 1e308, and not a finite double)
    // is out, 9.99e-307 is in.
    if (leading_exponent < kMinExponent || leading_exponent > kMaxExponent ||
        (leading_exponent == kMaxExponent && sig != "1"))
      fail("number " + literal + " is outside 1e-307 .. 1e308");

    if (negative)
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
