#include "config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mycelium::agent::config_reader {

namespace {

// A plain scalar is unquoted; yaml-cpp tags quoted and block scalars "!".
bool is_plain(const YAML::Node &node) {
  return node.IsScalar() && node.Tag() != "!";
}

std::string quote(const std::string &text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

// What a value is, for "expected X, got Y".
std::string what_is(const YAML::Node &node) {
  switch (node.Type()) {
  case YAML::NodeType::Undefined:
  case YAML::NodeType::Null:
    return "no value";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Scalar:
    break;
  }
  if (!is_plain(node))
    return "the string " + quote(node.Scalar());
  return quote(node.Scalar());
}

std::string join(const std::vector<std::string> &words) {
  std::string out;
  for (const auto &w : words)
    out += (out.empty() ? "" : ", ") + w;
  return out;
}

// Edits (insert, delete, replace, swap two neighbours) between a and b, ignoring case: a swap
// counts once, since "prot" for "port" is the commonest typo of all.
std::size_t edit_distance(const std::string &a, const std::string &b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

} // namespace

std::string format_number(double value) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

void Source::fail(const YAML::Mark &at, const std::string &field,
                  const std::string &problem) const {
  const int line = at.is_null() ? 0 : at.line + 1;
  const int column = at.is_null() ? 0 : at.column + 1;
  throw ConfigError(path_, line, column, field, problem);
}

YAML::Mark Field::mark() const {
  if (!value.IsDefined() || value.IsNull() || value.Mark().is_null())
    return key;
  return value.Mark();
}

void Field::fail(const std::string &problem) const {
  source->fail(mark(), path, problem);
}

Section::Section(const Source &source, const YAML::Node &node, std::string path, YAML::Mark where,
                 std::vector<std::string> allowed)
    : source_(&source), path_(std::move(path)), mark_(where) {
  if (!node.IsDefined() || node.IsNull())
    return;
  if (!node.IsMap())
    source.fail(node.Mark(), path_, "expected a mapping, got " + what_is(node));
  if (!node.Mark().is_null())
    mark_ = node.Mark();
  // By value: yaml-cpp's iterators hand out temporaries, a reference would dangle.
  for (const YAML::const_iterator::value_type entry : node) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar())
      source.fail(key.Mark(), path_, "keys must be names, got " + what_is(key));
    const std::string name = key.Scalar();
    const std::string field_path = child_path(name);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const std::string guess = nearest(name, allowed);
      source.fail(key.Mark(), field_path,
                  guess.empty() ? "unknown key (known here: " + join(allowed) + ")"
                                : "unknown key; did you mean " + quote(guess) + "?");
    }
    for (const Field &earlier : fields_)
      if (earlier.path == field_path)
        source.fail(key.Mark(), field_path,
                    "duplicate key (first set on line " + std::to_string(earlier.key.line + 1) +
                        ")");
    fields_.push_back(Field{source_, field_path, key.Mark(), entry.second});
  }
}

std::string Section::child_path(const std::string &key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::optional<Field> Section::get(const std::string &key) const {
  const std::string wanted = child_path(key);
  for (const Field &field : fields_)
    if (field.path == wanted)
      return field;
  return std::nullopt;
}

Field Section::require(const std::string &key) const {
  if (auto field = get(key))
    return *field;
  source_->fail(mark_, child_path(key), "required field is missing");
}

Section Section::section(const std::string &key, std::vector<std::string> allowed) const {
  if (auto field = get(key))
    return Section(*source_, field->value, field->path, field->key, std::move(allowed));
  return Section(*source_, YAML::Node(), child_path(key), mark_, std::move(allowed));
}

std::string read_string(const Field &field) {
  if (!field.value.IsScalar())
    field.fail("expected a string, got " + what_is(field.value));
  if (field.value.Scalar().empty())
    field.fail("must not be empty");
  return field.value.Scalar();
}

long long read_integer(const Field &field, long long min, long long max) {
  const YAML::Node &v = field.value;
  const std::string &text = v.IsScalar() ? v.Scalar() : std::string();
  long long value = 0;
  const char *end = text.data() + text.size();
  // from_chars takes no spaces, no '+', no 0x: only decimal integers get through. YAML allows a
  // leading '+', so skip one when a digit follows.
  const bool plus =
      text.size() > 1 && text[0] == '+' && std::isdigit(static_cast<unsigned char>(text[1]));
  const auto [ptr, ec] = std::from_chars(text.data() + (plus ? 1 : 0), end, value);
  if (!is_plain(v) || text.empty() || ptr != end || ec == std::errc::invalid_argument)
    field.fail("expected an integer, got " + what_is(v));
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    field.fail("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               text);
  return value;
}

double read_number(const Field &field, double min) {
  const YAML::Node &v = field.value;
  const std::string &text = v.IsScalar() ? v.Scalar() : std::string();
  // strtod also reads "inf", "nan" and hex floats: accept only decimal notation.
  const bool decimal =
      !text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  char *end = nullptr;
  errno = 0;
  const double value = decimal ? std::strtod(text.c_str(), &end) : 0;
  if (!is_plain(v) || !decimal || end != text.c_str() + text.size())
    field.fail("expected a number, got " + what_is(v));
  if (errno == ERANGE || !std::isfinite(value))
    field.fail("is out of range: " + text);
  if (value < min)
    field.fail("must be at least " + format_number(min) + ", got " + text);
  return value;
}

bool read_bool(const Field &field) {
  if (is_plain(field.value) && field.value.Scalar() == "true")
    return true;
  if (is_plain(field.value) && field.value.Scalar() == "false")
    return false;
  field.fail("expected true or false, got " + what_is(field.value));
}

std::vector<Field> read_list(const Field &field) {
  std::vector<Field> items;
  if (field.value.IsNull())
    return items;
  if (!field.value.IsSequence())
    field.fail("expected a list, got " + what_is(field.value));
  std::size_t i = 0;
  for (const YAML::Node &item : field.value) {
    const YAML::Mark at = item.Mark().is_null() ? field.key : item.Mark();
    items.push_back(Field{field.source, field.path + "[" + std::to_string(i++) + "]", at, item});
  }
  return items;
}

std::string read_choice(const Field &field, const std::vector<std::string> &choices) {
  if (!field.value.IsScalar())
    field.fail("expected one of " + join(choices) + ", got " + what_is(field.value));
  const std::string text = field.value.Scalar();
  if (std::find(choices.begin(), choices.end(), text) != choices.end())
    return text;
  const std::string guess = nearest(text, choices);
  field.fail("expected one of " + join(choices) + ", got " + quote(text) +
             (guess.empty() ? "" : "; did you mean " + quote(guess) + "?"));
}

std::string nearest(const std::string &word, const std::vector<std::string> &candidates) {
  // A third of the word's length, at least 1: "prot" finds "port", "adress" finds "address",
  // but a completely different word suggests nothing rather than nonsense.
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  // A longer or shorter spelling of a known word ("warning" for "warn") is a likely typo too.
  for (const auto &candidate : candidates)
    if (std::min(word.size(), candidate.size()) >= 3 &&
        (word.rfind(candidate, 0) == 0 || candidate.rfind(word, 0) == 0))
      return candidate;
  for (const auto &candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

} // namespace mycelium::agent::config_reader
