#include "mycelium/json_lexer.hpp"

#include "mycelium/utf8.hpp"

#include <algorithm>

namespace mycelium {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A byte copied as it is: printable ASCII other than the quote and the backslash.
bool is_plain(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
}

} // namespace

void JsonLexer::fail_at(const std::string &what, std::size_t at) const {
  throw JsonError(std::string(context_) + ": " + what + " (at byte " + std::to_string(at) + ")");
}

void JsonLexer::end() {
  skip_space();
  if (!at_end())
    fail("unexpected text after the JSON value");
}

void JsonLexer::expect(char c) {
  if (peek() != c)
    fail(at_end() ? "unexpected end of JSON" : std::string("expected '") + c + "'");
  ++pos_;
}

JsonKind JsonLexer::kind_ahead() const {
  switch (peek()) {
  case '{':
    return JsonKind::object;
  case '[':
    return JsonKind::array;
  case '"':
    return JsonKind::string;
  case 't':
  case 'f':
    return JsonKind::boolean;
  case 'n':
    return JsonKind::null;
  default:
    if (peek() == '-' || is_digit(peek()))
      return JsonKind::number;
    fail(at_end() ? "unexpected end of JSON" : "invalid JSON value");
  }
}

void JsonLexer::begin_container(int depth) {
  if (depth >= rules_.max_depth)
    fail("nesting deeper than " + std::to_string(rules_.max_depth) + " levels");
  ++pos_; // '{' or '[', which kind_ahead() saw
  skip_space();
}

bool JsonLexer::more(char close, bool first) {
  if (!first) {
    skip_space();
    if (peek() == ',') {
      ++pos_;
      skip_space();
      return true;
    }
  }
  if (peek() == close) {
    ++pos_;
    return false;
  }
  if (first)
    return true;
  fail(at_end() ? "unexpected end of JSON" : std::string("expected ',' or '") + close + "'");
}

std::size_t JsonLexer::member_name(std::string &out) {
  const std::size_t at = pos_;
  if (peek() != '"')
    fail(at_end() ? "unexpected end of JSON" : "expected a string key");
  string(out);
  skip_space();
  expect(':');
  skip_space();
  return at;
}

void JsonLexer::literal(std::string_view word) {
  if (in_.substr(pos_, word.size()) != word)
    fail("invalid JSON value");
  pos_ += word.size();
}

bool JsonLexer::boolean() {
  const bool value = peek() == 't';
  literal(value ? "true" : "false");
  return value;
}

void JsonLexer::null() {
  literal("null");
}

// The four hex digits after the "\u" of the escape at `escape`.
std::uint32_t JsonLexer::hex4(std::size_t escape) {
  if (in_.size() - pos_ < 4)
    fail_at("truncated \\u escape", escape);
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = in_[pos_++];
    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      value |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      value |= static_cast<std::uint32_t>(c - 'A' + 10);
    else
      fail_at("invalid \\u escape", escape);
  }
  return value;
}

void JsonLexer::string(std::string &out) {
  expect('"');
  // The raw length up to the closing quote (an escaped quote skipped) bounds the decoded length:
  // every escape is at least as long as what it decodes to.
  std::size_t close = pos_;
  while (close < in_.size() && in_[close] != '"')
    close += in_[close] == '\\' ? 2 : 1;
  out.reserve(out.size() + std::min(close, in_.size()) - pos_);
  for (;;) {
    if (at_end())
      fail("unterminated string");
    const char c = in_[pos_];
    if (is_plain(c)) {
      const std::size_t from = pos_;
      while (!at_end() && is_plain(in_[pos_]))
        ++pos_;
      out.append(in_, from, pos_ - from);
      continue;
    }
    if (c == '"') {
      ++pos_;
      return;
    }
    if (static_cast<unsigned char>(c) < 0x20)
      fail("unescaped control character in string");
    if (c != '\\') {
      const std::size_t length = utf8_sequence_length(in_, pos_);
      if (length == 0)
        fail("invalid UTF-8");
      out.append(in_, pos_, length);
      pos_ += length;
      continue;
    }
    const std::size_t escape = pos_++;
    if (at_end())
      fail("unterminated string");
    const char e = in_[pos_++];
    switch (e) {
    case '"':
    case '\\':
    case '/':
      out += e;
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 't':
      out += '\t';
      break;
    case 'u': {
      std::uint32_t code_point = hex4(escape);
      if (code_point >= 0xdc00 && code_point <= 0xdfff)
        fail_at("lone low surrogate in \\u escape", escape);
      if (code_point >= 0xd800 && code_point <= 0xdbff) {
        if (in_.substr(pos_, 2) != "\\u")
          fail_at("lone high surrogate in \\u escape", escape);
        pos_ += 2;
        const std::uint32_t low = hex4(escape);
        if (low < 0xdc00 || low > 0xdfff)
          fail_at("lone high surrogate in \\u escape", escape);
        code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
      }
      if (code_point == 0 && rules_.refuse_nul)
        fail_at("U+0000 is not allowed in strings", escape);
      append_utf8(out, code_point);
      break;
    }
    default:
      fail_at("invalid escape in string", escape);
    }
  }
}

JsonNumber JsonLexer::number() {
  JsonNumber n;
  const std::size_t start = pos_;
  if (peek() == '-') {
    n.negative = true;
    ++pos_;
  }
  // Grammar: int part ("0" or [1-9][0-9]*), optional fraction, optional exponent.
  const std::size_t int_start = pos_;
  if (peek() == '0')
    ++pos_;
  else if (is_digit(peek()))
    while (is_digit(peek()))
      ++pos_;
  else
    fail("invalid number");
  n.int_digits = in_.substr(int_start, pos_ - int_start);
  if (peek() == '.') {
    ++pos_;
    const std::size_t fraction_start = pos_;
    if (!is_digit(peek()))
      fail("invalid number: digits must follow '.'");
    while (is_digit(peek()))
      ++pos_;
    n.fraction_digits = in_.substr(fraction_start, pos_ - fraction_start);
  }
  if (peek() == 'e' || peek() == 'E') {
    ++pos_;
    bool exponent_negative = false;
    if (peek() == '+' || peek() == '-')
      exponent_negative = in_[pos_++] == '-';
    if (!is_digit(peek()))
      fail("invalid number: digits must follow the exponent");
    while (is_digit(peek())) {
      if (n.exponent < 100000000000000000)
        n.exponent = n.exponent * 10 + (in_[pos_] - '0');
      ++pos_;
    }
    if (exponent_negative)
      n.exponent = -n.exponent;
  }
  n.literal = in_.substr(start, pos_ - start);
  return n;
}

} // namespace mycelium
