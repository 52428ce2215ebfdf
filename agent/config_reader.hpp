// Strict, position-aware reading of a YAML document for config.cpp: every value read knows its
// dotted path and where it is in the file, so that every problem becomes a ConfigError naming
// FILE:LINE:COLUMN and the field. Nothing here knows the agent's fields.
#pragma once

#include "config.hpp"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace mycelium::agent::config_reader {

// The file being read: turns a YAML mark (0-based) into a ConfigError (1-based).
class Source {
public:
  explicit Source(std::string path) : path_(std::move(path)) {}
  const std::string &path() const { return path_; }
  [[noreturn]] void fail(const YAML::Mark &at, const std::string &field,
                         const std::string &problem) const;

private:
  std::string path_;
};

// One key and its value.
struct Field {
  const Source *source;
  std::string path; // "listen.port", "bootstrap_peers[1].host"
  YAML::Mark key;   // the key's position (for list items: the item's own)
  YAML::Node value;

  // The value's position; the key's when there is no value (YAML places a null value's mark at
  // the next token, often on the next line, which would point the reader at the wrong line).
  YAML::Mark mark() const;
  [[noreturn]] void fail(const std::string &problem) const;
};

// A mapping whose keys must all be in `allowed`; checked on construction, so that a misspelt key
// is reported as such rather than as the required field it was meant to be.
class Section {
public:
  // `node` may be absent (not defined) or null: then the section is empty and located at `where`.
  Section(const Source &source, const YAML::Node &node, std::string path, YAML::Mark where,
          std::vector<std::string> allowed);

  std::optional<Field> get(const std::string &key) const;
  // Fails with "required field is missing", pointing at this mapping.
  Field require(const std::string &key) const;
  // A nested mapping; an empty one when the key is absent or has no value.
  Section section(const std::string &key, std::vector<std::string> allowed) const;

  const YAML::Mark &mark() const { return mark_; }
  const std::string &path() const { return path_; }
  const Source &source() const { return *source_; }
  std::string child_path(const std::string &key) const;

private:
  const Source *source_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<Field> fields_;
};

// Typed reads. Each fails on the field with a message that says what was expected and what was
// found. Numbers and booleans must be plain scalars: a quoted "8080" is a string in YAML.
std::string read_string(const Field &field); // any scalar, not empty
long long read_integer(const Field &field, long long min, long long max);
double read_number(const Field &field, double min); // finite, decimal notation
bool read_bool(const Field &field);                 // true or false
// A list's items, each a Field with path "name[i]". No value (`key:`) is an empty list.
std::vector<Field> read_list(const Field &field);
// A string that must be one of `choices`.
std::string read_choice(const Field &field, const std::vector<std::string> &choices);

// The candidate closest to `word` when it is close enough to be a likely typo; otherwise "".
std::string nearest(const std::string &word, const std::vector<std::string> &candidates);

// The shortest text that reads back as `value` ("0", "0.5", "1e+21").
std::string format_number(double value);

} // namespace mycelium::agent::config_reader
