#include "mycelium/chain/json_string_map.hpp"

#include "mycelium/error.hpp"
#include "mycelium/utf8.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>

namespace mycelium::chain {

class JsonStringMapParser {
public:
  JsonStringMapParser(std::string_view text, std::string_view source)
      : in_(text), source_(source) {}

  JsonStringMap run() {
    JsonStringMap map;
    // Every member has a ':', so this many never reallocate: a reallocation would move short
    // values out of buffers that are then freed without being zeroed.
    map.members_.reserve(static_cast<std::size_t>(std::count(in_.begin(), in_.end(), ':')));
    skip_space();
    expect('{', "the file must be a JSON object");
    skip_space();
    if (peek() == '}') {
      ++pos_;
    } else {
      for (;;) {
        skip_space();
        if (peek() != '"')
          fail("expected a string key");
        const std::size_t key_at = pos_;
        std::string key;
        string_into(key);
        if (map.find_member(key))
          fail_at("duplicate key \"" + key + "\"", key_at);
        skip_space();
        expect(':', "expected ':' after a key");
        skip_space();
        map.members_.push_back({std::move(key), std::nullopt});
        if (peek() == '"') {
          string_into(map.members_.back().value.emplace());
        } else if (in_.substr(pos_, 4) == "null") {
          pos_ += 4;
        } else {
          fail("the value of \"" + map.members_.back().key + "\" is not a string or null");
        }
        skip_space();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}', "expected ',' or '}'");
        break;
      }
    }
    skip_space();
    if (pos_ != in_.size())
      fail("unexpected text after the object");
    return map;
  }

private:
  [[noreturn]] void fail_at(const std::string &what, std::size_t at) const {
    throw Error(sqlstate::kInvalidParameterValue, std::string(source_) +
                                                      ": not a JSON object of strings: " + what +
                                                      " (at byte " + std::to_string(at) + ")");
  }
  [[noreturn]] void fail(const std::string &what) const { fail_at(what, pos_); }

  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }

  void expect(char c, const char *what) {
    if (peek() != c)
      fail(at_end() ? "unexpected end of the file" : what);
    ++pos_;
  }

  unsigned hex4() {
    if (in_.size() - pos_ < 4)
      fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("invalid \\u escape");
    }
    return value;
  }

  static void append_utf8(std::string &out, std::uint32_t code_point) {
    if (code_point < 0x80) {
      out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
      out += static_cast<char>(0xc0 | code_point >> 6);
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else if (code_point < 0x10000) {
      out += static_cast<char>(0xe0 | code_point >> 12);
      out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | code_point >> 18);
      out += static_cast<char>(0x80 | (code_point >> 12 & 0x3f));
      out += static_cast<char>(0x80 | (code_point >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (code_point & 0x3f));
    }
  }

  // Decodes the string at pos_ into `out`, reserved first to the string's raw length (which its
  // decoded form never exceeds), so that a secret is written once and never reallocated.
  void string_into(std::string &out) {
    const std::size_t start = pos_;
    ++pos_; // the opening quote
    std::size_t end = pos_;
    while (end < in_.size() && in_[end] != '"')
      end += in_[end] == '\\' ? 2 : 1;
    if (end >= in_.size())
      fail_at("unterminated string", start);
    const std::string_view raw = in_.substr(pos_, end - pos_);
    if (const std::size_t bad = first_invalid_utf8(raw); bad != std::string_view::npos)
      fail_at("invalid UTF-8", pos_ + bad);
    out.reserve(raw.size());
    while (pos_ < end) {
      const char c = in_[pos_];
      if (static_cast<unsigned char>(c) < 0x20)
        fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      const char escape = in_[pos_++];
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out += escape;
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
        std::uint32_t code_point = hex4();
        if (code_point >= 0xdc00 && code_point <= 0xdfff)
          fail("lone low surrogate in a \\u escape");
        if (code_point >= 0xd800 && code_point <= 0xdbff) {
          if (in_.substr(pos_, 2) != "\\u")
            fail("lone high surrogate in a \\u escape");
          pos_ += 2;
          const std::uint32_t low = hex4();
          if (low < 0xdc00 || low > 0xdfff)
            fail("lone high surrogate in a \\u escape");
          code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
        }
        append_utf8(out, code_point);
        break;
      }
      default:
        fail_at("invalid escape in a string", pos_ - 2);
      }
    }
    pos_ = end + 1; // the closing quote
  }

  std::string_view in_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

JsonStringMap JsonStringMap::parse(std::string_view text, std::string_view source) {
  return JsonStringMapParser(text, source).run();
}

JsonStringMap::~JsonStringMap() {
  for (Member &member : members_)
    if (member.value)
      sodium_memzero(member.value->data(), member.value->capacity());
}

const JsonStringMap::Member *JsonStringMap::find_member(std::string_view key) const {
  for (const Member &member : members_)
    if (member.key == key)
      return &member;
  return nullptr;
}

const std::string *JsonStringMap::find(std::string_view key) const {
  const Member *member = find_member(key);
  return member && member->value ? &*member->value : nullptr;
}

} // namespace mycelium::chain
