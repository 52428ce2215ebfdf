#include "mycelium/chain/base58.hpp"

#include "mycelium/error.hpp"

#include <algorithm>

namespace mycelium::chain {

namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int digit_value(char c) {
  const char *found = std::find(kAlphabet, kAlphabet + 58, c);
  return found == kAlphabet + 58 ? -1 : static_cast<int>(found - kAlphabet);
}

// A character as a message can show it: printable ASCII quoted, anything else as its byte value
// (a stray control character or a byte of a multi-byte UTF-8 sequence).
std::string describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7f)
    return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

} // namespace

std::string base58_encode(const std::uint8_t *data, std::size_t size) {
  std::size_t zeros = 0;
  while (zeros < size && data[zeros] == 0)
    ++zeros;
  // Base-58 digits, least significant first; the number is rebuilt one input byte at a time
  // (digits = digits * 256 + byte). Quadratic, which is nothing for the 35 bytes of an address.
  std::string digits;
  digits.reserve((size - zeros) * 138 / 100 + 1); // log(256) / log(58) < 1.38
  for (std::size_t i = zeros; i < size; ++i) {
    unsigned carry = data[i];
    for (char &digit : digits) {
      carry += static_cast<unsigned>(digit) * 256;
      digit = static_cast<char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<char>(carry % 58));
      carry /= 58;
    }
  }
  std::string text(zeros, '1');
  text.reserve(zeros + digits.size());
  for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    text += kAlphabet[static_cast<unsigned char>(*it)];
  return text;
}

Bytes base58_decode(std::string_view text, std::string_view field) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1')
    ++ones;
  Bytes bytes; // least significant first, as the digits above
  bytes.reserve((text.size() - ones) * 733 / 1000 + 1); // log(58) / log(256) < 0.733
  for (std::size_t i = ones; i < text.size(); ++i) {
    const int value = digit_value(text[i]);
    if (value < 0)
      throw Error(sqlstate::kInvalidParameterValue,
                  std::string(field) + ": invalid base58 character " + describe(text[i]) +
                      " at position " + std::to_string(i) +
                      " (base58 has no 0, O, I or l, and no punctuation or spaces)");
    unsigned carry = static_cast<unsigned>(value);
    for (std::uint8_t &byte : bytes) {
      carry += static_cast<unsigned>(byte) * 58;
      byte = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  bytes.insert(bytes.end(), ones, 0);
  std::reverse(bytes.begin(), bytes.end());
  return bytes;
}

} // namespace mycelium::chain
