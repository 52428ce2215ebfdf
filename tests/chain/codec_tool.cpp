// The C++ side of tests/chain/codec_cross.mjs, which compares our SS58 and SCALE with
// polkadot-js's. Reads one request per line on stdin and writes one answer per line:
//
//   ss58_encode <prefix> <account hex>   ->  <address>
//   ss58_decode <address>                ->  <prefix> <account hex>
//   encode <type> <value>                ->  <SCALE hex>
//   decode <type> <SCALE hex>            ->  <value>
//
// or "error: <message>" when ours refuses. Values are text without spaces (the script builds the
// same text from polkadot-js's values): integers in lowercase hex without leading zeros; byte
// strings in hex, "-" when empty; lists comma-separated, "-" when empty; none/true/false for
// options of bool; a struct's fields separated by ';'.
#include "mycelium/chain/scale_decoder.hpp"
#include "mycelium/chain/scale_encoder.hpp"
#include "mycelium/chain/ss58.hpp"
#include "mycelium/hex.hpp"

#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator))
    parts.push_back(part);
  if (!text.empty() && text.back() == separator)
    parts.emplace_back();
  return parts;
}

Bytes bytes_of(const std::string &hex) {
  return hex == "-" ? Bytes() : from_hex(hex, hex.size() / 2, "request bytes");
}
std::string hex_of(const Bytes &bytes) {
  return bytes.empty() ? "-" : to_hex(bytes);
}

AccountId account_of(const std::string &hex) {
  const Bytes bytes = from_hex(hex, kAccountIdSize, "account");
  AccountId id;
  std::memcpy(id.data(), bytes.data(), id.size());
  return id;
}

U128 integer_of(const std::string &hex) {
  if (hex.empty() || hex.size() > 32)
    throw std::runtime_error("bad integer in request: " + hex);
  U128 value;
  for (const char c : hex) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0)
      throw std::runtime_error("bad integer in request: " + hex);
    value.high = value.high << 4 | value.low >> 60;
    value.low = value.low << 4 | static_cast<std::uint64_t>(digit);
  }
  return value;
}

std::string text_of(const U128 &value) {
  std::string hex;
  for (int shift = 124; shift >= 0; shift -= 4) {
    const std::uint64_t half = shift >= 64 ? value.high : value.low;
    const int digit = static_cast<int>(half >> (shift % 64) & 0xf);
    if (!hex.empty() || digit != 0 || shift == 0)
      hex += "0123456789abcdef"[digit];
  }
  return hex;
}

std::optional<bool> option_bool_of(const std::string &text) {
  if (text == "none")
    return std::nullopt;
  return text == "true";
}
std::string text_of(const std::optional<bool> &value) {
  return !value ? "none" : *value ? "true" : "false";
}

// One SCALE type of the comparison: how to write a value's text and how to read it back.
struct Codec {
  std::function<void(ScaleEncoder &, const std::string &)> encode;
  std::function<std::string(ScaleDecoder &)> decode;
};

template <class T> Codec compact_codec() {
  return {[](ScaleEncoder &e, const std::string &v) { e.compact(integer_of(v)); },
          [](ScaleDecoder &d) {
            if constexpr (std::is_same_v<T, U128>)
              return text_of(d.compact("value"));
            else
              return text_of(U128(d.compact_as<T>("value")));
          }};
}

const std::map<std::string, Codec> &codecs() {
  static const std::map<std::string, Codec> table = {
      {"compact_u8", compact_codec<std::uint8_t>()},
      {"compact_u16", compact_codec<std::uint16_t>()},
      {"compact_u32", compact_codec<std::uint32_t>()},
      {"compact_u64", compact_codec<std::uint64_t>()},
      {"compact_u128", compact_codec<U128>()},
      {"u128",
       {[](ScaleEncoder &e, const std::string &v) { e.u128(integer_of(v)); },
        [](ScaleDecoder &d) { return text_of(d.u128("value")); }}},
      {"vec_u32",
       {[](ScaleEncoder &e, const std::string &v) {
          std::vector<std::uint32_t> items;
          if (v != "-")
            for (const std::string &item : split(v, ','))
              items.push_back(static_cast<std::uint32_t>(integer_of(item).low));
          e.vec(items, [](ScaleEncoder &e, std::uint32_t item) { e.u32(item); });
        },
        [](ScaleDecoder &d) {
          const auto items = d.vec(
              "value", [](ScaleDecoder &d) { return d.u32(); }, 4);
          std::string text;
          for (const std::uint32_t item : items)
            text += (text.empty() ? "" : ",") + text_of(U128(item));
          return text.empty() ? std::string("-") : text;
        }}},
      {"option_u64",
       {[](ScaleEncoder &e, const std::string &v) {
          const auto value = v == "none" ? std::nullopt : std::optional(integer_of(v).low);
          e.option(value, [](ScaleEncoder &e, std::uint64_t x) { e.u64(x); });
        },
        [](ScaleDecoder &d) {
          const auto value = d.option("value", [](ScaleDecoder &d) { return d.u64(); });
          return value ? text_of(U128(*value)) : std::string("none");
        }}},
      {"option_bool",
       {[](ScaleEncoder &e, const std::string &v) {
          e.option(option_bool_of(v), [](ScaleEncoder &e, bool x) { e.boolean(x); });
        },
        [](ScaleDecoder &d) {
          return text_of(d.option("value", [](ScaleDecoder &d) { return d.boolean(); }));
        }}},
      {"optionbool",
       {[](ScaleEncoder &e, const std::string &v) { e.option_bool(option_bool_of(v)); },
        [](ScaleDecoder &d) { return text_of(d.option_bool("value")); }}},
      {"string",
       {[](ScaleEncoder &e, const std::string &v) {
          const Bytes utf8 = bytes_of(v);
          e.string(std::string(utf8.begin(), utf8.end()));
        },
        [](ScaleDecoder &d) {
          const std::string text = d.string("value");
          return hex_of(Bytes(text.begin(), text.end()));
        }}},
      // (u16, Compact<u64>, Vec<AccountId32>, Option<bool>)
      {"struct",
       {[](ScaleEncoder &e, const std::string &v) {
          const std::vector<std::string> fields = split(v, ';');
          if (fields.size() != 4)
            throw std::runtime_error("a struct request needs 4 fields");
          e.u16(static_cast<std::uint16_t>(integer_of(fields[0]).low));
          e.compact(integer_of(fields[1]));
          std::vector<AccountId> accounts;
          if (fields[2] != "-")
            for (const std::string &hex : split(fields[2], ','))
              accounts.push_back(account_of(hex));
          e.vec(accounts, [](ScaleEncoder &e, const AccountId &a) { e.account_id(a); });
          e.option(option_bool_of(fields[3]), [](ScaleEncoder &e, bool x) { e.boolean(x); });
        },
        [](ScaleDecoder &d) {
          std::string text = text_of(U128(d.u16("a"))) + ";";
          text += text_of(U128(d.compact_as<std::uint64_t>("b"))) + ";";
          const auto accounts = d.vec(
              "c", [](ScaleDecoder &d) { return d.account_id(); }, kAccountIdSize);
          std::string list;
          for (const AccountId &a : accounts)
            list += (list.empty() ? "" : ",") + to_hex(a.data(), a.size());
          text += (list.empty() ? "-" : list) + ";";
          return text + text_of(d.option("d", [](ScaleDecoder &d) { return d.boolean(); }));
        }}},
  };
  return table;
}

const Codec &codec(const std::string &type) {
  const auto found = codecs().find(type);
  if (found == codecs().end())
    throw std::runtime_error("unknown type " + type);
  return found->second;
}

std::string answer(const std::string &line) {
  const std::vector<std::string> words = split(line, ' ');
  const std::string &command = words.at(0);
  if (command == "ss58_encode" && words.size() == 3)
    return ss58_encode(account_of(words[2]), static_cast<std::uint16_t>(std::stoul(words[1])));
  if (command == "ss58_decode" && words.size() == 2) {
    const Ss58Address decoded = ss58_decode(words[1]);
    return std::to_string(decoded.prefix) + " " +
           to_hex(decoded.account_id.data(), decoded.account_id.size());
  }
  if (command == "encode" && words.size() == 3) {
    Bytes out;
    ScaleEncoder encoder(out);
    codec(words[1]).encode(encoder, words[2]);
    return to_hex(out);
  }
  if (command == "decode" && words.size() == 3) {
    const Bytes bytes = bytes_of(words[2]);
    ScaleDecoder decoder(bytes, words[1]);
    const std::string value = codec(words[1]).decode(decoder);
    decoder.expect_end();
    return value;
  }
  throw std::runtime_error("bad request: " + line);
}

} // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    try {
      std::cout << answer(line) << '\n';
    } catch (const std::exception &e) {
      std::cout << "error: " << e.what() << '\n';
    }
  }
  return 0;
}
