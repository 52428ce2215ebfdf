#include "agent/chain/json_value.hpp"

#include "mycelium/canonical_json.hpp"

#include <cerrno>
#include <cstdlib>

namespace mycelium::chain {

namespace {

constexpr int kMaxDepth = 64;

std::string kind_name(JsonValue::Kind kind) {
  switch (kind) {
  case JsonValue::Kind::null:
    return "null";
  case JsonValue::Kind::boolean:
    return "a boolean";
  case JsonValue::Kind::number:
    return "a number";
  case JsonValue::Kind::string:
    return "a string";
  case JsonValue::Kind::array:
    return "an array";
  case JsonValue::Kind::object:
    return "an object";
  }
  return "?";
}

[[noreturn]] void wrong_kind(std::string_view what, const char *wanted, JsonValue::Kind got) {
  throw JsonError(std::string(what) + ": expected " + wanted + ", got " + kind_name(got));
}

void append_utf8(std::uint32_t code_point, std::string &out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

} // namespace

// The recursive-descent reader; a class so that the position and the text travel together.
class JsonReader {
public:
  explicit JsonReader(std::string_view text) : in_(text) {}

  JsonValue run() {
    skip_space();
    JsonValue v = value(0);
    skip_space();
    if (pos_ != in_.size())
      fail("unexpected text after the JSON value");
    return v;
  }

private:
  std::string_view in_;
  std::size_t pos_ = 0;

  [[noreturn]] void fail(const std::string &what) const {
    throw JsonError("invalid JSON: " + what + " (at byte " + std::to_string(pos_) + ")");
  }
  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c)
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  JsonValue value(int depth) {
    JsonValue v;
    const char c = peek();
    if ((c == '{' || c == '[') && depth >= kMaxDepth)
      fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    if (c == '{') {
      v.kind_ = JsonValue::Kind::object;
      object(v, depth);
    } else if (c == '[') {
      v.kind_ = JsonValue::Kind::array;
      array(v, depth);
    } else if (c == '"') {
      v.kind_ = JsonValue::Kind::string;
      v.text_ = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind_ = JsonValue::Kind::number;
      v.text_ = number();
    } else if (literal("true")) {
      v.kind_ = JsonValue::Kind::boolean;
      v.boolean_ = true;
    } else if (literal("false")) {
      v.kind_ = JsonValue::Kind::boolean;
    } else if (!literal("null")) {
      fail(pos_ < in_.size() ? "invalid JSON value" : "unexpected end of text");
    }
    return v;
  }

  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  void object(JsonValue &v, int depth) {
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_space();
      if (peek() != '"')
        fail("expected a member name");
      std::string key = string();
      for (const auto &member : v.members_)
        if (member.first == key)
          fail("duplicate member name \"" + key + "\"");
      skip_space();
      expect(':');
      skip_space();
      JsonValue member = value(depth + 1);
      v.members_.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void array(JsonValue &v, int depth) {
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_space();
      v.items_.push_back(value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return;
    }
  }

  std::string number() {
    const std::size_t start = pos_;
    const auto digits = [this] {
      const std::size_t from = pos_;
      while (peek() >= '0' && peek() <= '9')
        ++pos_;
      return pos_ - from;
    };
    if (peek() == '-')
      ++pos_;
    if (peek() == '0')
      ++pos_;
    else if (digits() == 0)
      fail("invalid number");
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0)
        fail("invalid number: no digit after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (digits() == 0)
        fail("invalid number: no digit in the exponent");
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  std::uint32_t hex4() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        fail("invalid \\u escape");
      ++pos_;
    }
    return value;
  }

  // One UTF-8 sequence starting at pos_ (its lead byte >= 0x80), copied to `out` if valid.
  void utf8_sequence(std::string &out) {
    const auto byte = [this](std::size_t i) {
      return pos_ + i < in_.size() ? static_cast<unsigned char>(in_[pos_ + i]) : 0u;
    };
    const unsigned lead = byte(0);
    std::size_t length = 0;
    std::uint32_t min = 0;
    std::uint32_t code_point = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2, min = 0x80, code_point = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3, min = 0x800, code_point = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4, min = 0x10000, code_point = lead & 0x07;
    } else {
      fail("invalid UTF-8 in a string");
    }
    for (std::size_t i = 1; i < length; ++i) {
      if ((byte(i) & 0xc0) != 0x80)
        fail("invalid UTF-8 in a string");
      code_point = (code_point << 6) | (byte(i) & 0x3f);
    }
    if (code_point < min || code_point > 0x10ffff || (code_point >= 0xd800 && code_point < 0xe000))
      fail("invalid UTF-8 in a string");
    out.append(in_.substr(pos_, length));
    pos_ += length;
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (pos_ >= in_.size())
        fail("unterminated string");
      const char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        fail("control character in a string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        utf8_sequence(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = peek();
      ++pos_;
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
        std::uint32_t code_point = hex4();
        if (code_point >= 0xdc00 && code_point < 0xe000)
          fail("lone low surrogate");
        if (code_point >= 0xd800 && code_point < 0xdc00) {
          if (!literal("\\u"))
            fail("lone high surrogate");
          const std::uint32_t low = hex4();
          if (low < 0xdc00 || low >= 0xe000)
            fail("lone high surrogate");
          code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
        }
        append_utf8(code_point, out);
        break;
      }
      default:
        --pos_;
        fail("invalid escape");
      }
    }
  }
};

JsonValue parse_json(std::string_view text) {
  return JsonReader(text).run();
}

bool JsonValue::as_bool(std::string_view what) const {
  if (kind_ != Kind::boolean)
    wrong_kind(what, "a boolean", kind_);
  return boolean_;
}

const std::string &JsonValue::as_string(std::string_view what) const {
  if (kind_ != Kind::string)
    wrong_kind(what, "a string", kind_);
  return text_;
}

std::int64_t JsonValue::as_int64(std::string_view what) const {
  if (kind_ != Kind::number)
    wrong_kind(what, "an integer", kind_);
  // strtoll stops at a fraction or exponent: the whole text must have been consumed.
  errno = 0;
  char *end = nullptr;
  const long long value = std::strtoll(text_.c_str(), &end, 10);
  if (errno != 0 || end != text_.c_str() + text_.size())
    throw JsonError(std::string(what) + ": " + text_ + " is not a 64-bit integer");
  return value;
}

std::uint64_t JsonValue::as_uint64(std::string_view what) const {
  if (kind_ != Kind::number)
    wrong_kind(what, "an integer", kind_);
  errno = 0;
  char *end = nullptr;
  const unsigned long long value = std::strtoull(text_.c_str(), &end, 10);
  if (text_[0] == '-' || errno != 0 || end != text_.c_str() + text_.size())
    throw JsonError(std::string(what) + ": " + text_ + " is not an unsigned 64-bit integer");
  return value;
}

const std::vector<JsonValue> &JsonValue::as_array(std::string_view what) const {
  if (kind_ != Kind::array)
    wrong_kind(what, "an array", kind_);
  return items_;
}

const JsonValue *JsonValue::find(std::string_view key) const {
  for (const auto &member : members_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const JsonValue &JsonValue::at(std::string_view key, std::string_view what) const {
  if (kind_ != Kind::object)
    wrong_kind(what, "an object", kind_);
  if (const JsonValue *member = find(key))
    return *member;
  throw JsonError(std::string(what) + ": no member \"" + std::string(key) + "\"");
}

std::string JsonValue::to_json() const {
  switch (kind_) {
  case Kind::null:
    return "null";
  case Kind::boolean:
    return boolean_ ? "true" : "false";
  case Kind::number:
    return text_;
  case Kind::string:
    return json_string(text_);
  case Kind::array: {
    std::string out = "[";
    for (std::size_t i = 0; i < items_.size(); ++i)
      out += (i ? "," : "") + items_[i].to_json();
    return out + "]";
  }
  case Kind::object: {
    std::string out = "{";
    for (std::size_t i = 0; i < members_.size(); ++i)
      out += (i ? "," : "") + json_string(members_[i].first) + ":" + members_[i].second.to_json();
    return out + "}";
  }
  }
  return "null";
}

} // namespace mycelium::chain
