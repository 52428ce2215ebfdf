// Hex in and out for the chain tests' vectors.
#pragma once

#include "mycelium/bytes.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>
#include <string_view>

namespace chain_test {

inline mycelium::Bytes bytes(std::string_view hex) {
  return mycelium::from_hex(hex, hex.size() / 2, "test vector");
}

template <std::size_t N> std::array<std::uint8_t, N> array(std::string_view hex) {
  const mycelium::Bytes decoded = mycelium::from_hex(hex, N, "test vector");
  std::array<std::uint8_t, N> out{};
  std::copy(decoded.begin(), decoded.end(), out.begin());
  return out;
}

template <std::size_t N> std::string hex(const std::array<std::uint8_t, N> &value) {
  return mycelium::to_hex(value.data(), value.size());
}

inline std::string hex(const std::uint8_t *data, std::size_t size) {
  return mycelium::to_hex(data, size);
}

inline mycelium::Bytes text(std::string_view value) {
  return mycelium::Bytes(value.begin(), value.end());
}

// The call throws mycelium::Error with this SQLSTATE and a message containing `fragment`.
inline void expect_error(const std::function<void()> &call, const char *sqlstate,
                         const std::string &fragment) {
  try {
    call();
    ADD_FAILURE() << "accepted; expected an error containing '" << fragment << "'";
  } catch (const mycelium::Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

} // namespace chain_test
