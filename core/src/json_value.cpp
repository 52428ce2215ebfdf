// JSON values: the shared JSON lexer (json_lexer.hpp) read value by value into a tree.
#include "mycelium/json_value.hpp"

#include "mycelium/canonical_json.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdlib>

namespace mycelium {

namespace {

[[noreturn]] void wrong_kind(std::string_view what, const char *wanted, JsonValue::Kind got) {
  throw JsonError(std::string(what) + ": expected " + wanted + ", got " +
                  JsonValue::kind_name(got));
}

// The whole buffer, not just the text: a shorter text may have replaced a longer one in it.
void wipe(std::string &s) {
  sodium_memzero(s.data(), s.capacity());
}

} // namespace

// The recursive-descent reader; a class so that the lexer and the JsonValue internals meet.
class JsonValueReader {
public:
  JsonValueReader(std::string_view text, std::string_view context)
      : lex_(text, context, JsonRules{kJsonValueMaxDepth, /*refuse_nul=*/false}) {}

  JsonValue run() {
    lex_.skip_space();
    JsonValue v = value(0);
    lex_.end();
    return v;
  }

private:
  JsonLexer lex_;

  // Strings and numbers are decoded straight into the value, never through a temporary.
  JsonValue value(int depth) {
    JsonValue v;
    v.kind_ = lex_.kind_ahead();
    switch (v.kind_) {
    case JsonKind::object:
      lex_.begin_container(depth);
      for (bool first = true; lex_.more('}', first); first = false) {
        v.members_.emplace_back();
        std::string &name = v.members_.back().first;
        const std::size_t at = lex_.member_name(name);
        for (std::size_t i = 0; i + 1 < v.members_.size(); ++i)
          if (v.members_[i].first == name)
            lex_.fail_at("duplicate key \"" + name + "\"", at);
        v.members_.back().second = value(depth + 1);
      }
      break;
    case JsonKind::array:
      lex_.begin_container(depth);
      for (bool first = true; lex_.more(']', first); first = false)
        v.items_.push_back(value(depth + 1));
      break;
    case JsonKind::string:
      lex_.string(v.text_);
      break;
    case JsonKind::number:
      v.text_.assign(lex_.number().literal);
      break;
    case JsonKind::boolean:
      v.boolean_ = lex_.boolean();
      break;
    case JsonKind::null:
      lex_.null();
      break;
    }
    return v;
  }
};

JsonValue parse_json(std::string_view text, std::string_view context) {
  return JsonValueReader(text, context).run();
}

JsonValue::JsonValue(JsonValue &&) noexcept = default;

JsonValue &JsonValue::operator=(JsonValue &&other) noexcept {
  if (this != &other) {
    // Zeroed first: the string move may copy a shorter text into this buffer, or hand it over.
    wipe(text_);
    kind_ = other.kind_;
    boolean_ = other.boolean_;
    text_ = std::move(other.text_);
    items_ = std::move(other.items_);
    members_ = std::move(other.members_);
  }
  return *this;
}

JsonValue &JsonValue::operator=(const JsonValue &other) {
  if (this != &other)
    *this = JsonValue(other); // a copy assignment may reallocate without zeroing
  return *this;
}

JsonValue::~JsonValue() {
  wipe(text_);
}

const char *JsonValue::kind_name(Kind kind) {
  switch (kind) {
  case Kind::null:
    return "null";
  case Kind::boolean:
    return "a boolean";
  case Kind::number:
    return "a number";
  case Kind::string:
    return "a string";
  case Kind::array:
    return "an array";
  case Kind::object:
    return "an object";
  }
  return "?";
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

} // namespace mycelium
