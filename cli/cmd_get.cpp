#include "commands.hpp"
#include "db.hpp"
#include "refusals.hpp"

#include <algorithm>
#include <iostream>

namespace mycelium::cli {

namespace {

// A JSON string literal. The text comes from the database, which stores valid UTF-8 only, so
// only the characters JSON requires to be escaped are.
std::string json_string(const std::string &text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool is_integer(const std::string &text) {
  const std::size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > start &&
         std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

int run_get(const Options &options) {
  const std::string shard = options.get("shard");
  const std::string key = options.get("key");

  Connection db = connect_database(options.get_or("dsn", ""));
  Result result = [&] {
    try {
      return db.exec(
          "SELECT key, value::text, version, created_by, signature FROM mycelium.get($1, $2)",
          {shard, key});
    } catch (const pgclient::Error &e) {
      throw Failure(e.describe("get"));
    }
  }();

  enum Column { kKey, kValue, kVersion, kCreatedBy, kSignature };
  if (result.rows() > 1)
    throw Failure("get " + shard + "/" + key + ": unexpected reply (" +
                  std::to_string(result.rows()) + " rows)");
  // mycelium.get reads nothing from a shard that does not exist; put refuses one, and both say
  // so in the same words.
  if (result.rows() == 0 && !shard_exists(db, shard))
    throw Failure("get: " + unknown_shard(shard));
  // A NULL value would be a deleted key's tombstone, should the server ever return one.
  if (result.rows() == 0 || result.is_null(0, kValue))
    throw Failure(shard + "/" + key + " not found");

  if (!options.flag("json")) {
    std::cout << result.text(0, kValue) << "\n";
    return kExitOk;
  }
  const auto text_field = [&](int column) {
    return result.is_null(0, column) ? std::string("null") : json_string(result.text(0, column));
  };
  // value::text of a jsonb is JSON already, and version an integer: both go in as they are.
  const std::string version = result.text(0, kVersion);
  std::cout << "{\"shard\":" << json_string(shard) << ",\"key\":" << text_field(kKey)
            << ",\"value\":" << result.text(0, kValue)
            << ",\"version\":" << (is_integer(version) ? version : std::string("null"))
            << ",\"created_by\":" << text_field(kCreatedBy)
            << ",\"signature\":" << text_field(kSignature) << "}\n";
  return kExitOk;
}

} // namespace mycelium::cli
