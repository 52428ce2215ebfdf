#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

using mycelium::Error;
using mycelium::from_hex;
using mycelium::to_hex;

TEST(Hex, RoundTrips) {
  const std::vector<std::uint8_t> bytes{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "00017f80abff");
  EXPECT_EQ(from_hex("00017f80abff", 6, "public_key"), bytes);
}

TEST(Hex, EmptyIsValidForZeroBytes) {
  EXPECT_TRUE(from_hex("", 0, "x").empty());
}

// Every rejection is SQLSTATE 22023 and names the field.
static void expect_rejected(std::string_view text, std::size_t size, const std::string &fragment) {
  try {
    from_hex(text, size, "signature");
    FAIL() << "accepted '" << text << "'";
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
    EXPECT_NE(std::string(e.what()).find("signature"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Hex, RejectsWrongLength) {
  expect_rejected("abcd", 3, "must be 6 lowercase hex characters, got 4");
  expect_rejected("abcdef00", 3, "got 8");
  expect_rejected("abc", 2, "got 3");
}

TEST(Hex, RejectsUpperCase) {
  expect_rejected("ABcd", 2, "position 0");
}

TEST(Hex, RejectsNonHexAtExactPosition) {
  expect_rejected("0g", 1, "position 1");
  expect_rejected("00 0", 2, "position 2");
  expect_rejected(std::string_view("0\0", 2), 1, "position 1");
}
