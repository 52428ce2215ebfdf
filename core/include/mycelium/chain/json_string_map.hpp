// The JSON of a Bittensor wallet file: one object whose values are all strings or null. A
// parser of just that (strict JSON otherwise: escapes, \u surrogate pairs, no duplicate keys,
// nothing after the object), because core has none that returns values and the values include
// secrets, which this one keeps in buffers it zeroes. schemas/CHAIN.md, "Wallet files".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::chain {

class JsonStringMap {
public:
  // Throws Error 22023 "<source>: not a JSON object of strings: why (at byte N)".
  static JsonStringMap parse(std::string_view text, std::string_view source);

  JsonStringMap(JsonStringMap &&) = default;
  JsonStringMap(const JsonStringMap &) = delete;
  JsonStringMap &operator=(const JsonStringMap &) = delete;
  ~JsonStringMap();

  bool contains(std::string_view key) const { return find_member(key) != nullptr; }
  // The string value of `key`; nullptr when the key is absent or its value is null.
  const std::string *find(std::string_view key) const;

private:
  struct Member {
    std::string key;
    std::optional<std::string> value; // nullopt: JSON null
  };
  JsonStringMap() = default;
  const Member *find_member(std::string_view key) const;

  std::vector<Member> members_;
  friend class JsonStringMapParser;
};

} // namespace mycelium::chain
