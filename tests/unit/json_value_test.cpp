// JSON values (core's json_value.hpp): what the chain's JSON-RPC answers need, and the malformed
// texts a broken or hostile node could send. The lexical rules under them are json_lexer_test's.
#include "mycelium/json_value.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <new>
#include <string>
#include <utility>

namespace {

using mycelium::JsonError;
using mycelium::JsonValue;
using mycelium::parse_json;

TEST(JsonValue, ReadsAnAnswer) {
  const JsonValue v = parse_json(
      R"( {"jsonrpc":"2.0","id":7,"result":{"n":[1,-2,3.5e1,true,false,null],"s":"a\"\\\/\u00e9\ud83d\ude00"}} )");
  EXPECT_EQ(v.at("jsonrpc", "v").as_string("jsonrpc"), "2.0");
  EXPECT_EQ(v.at("id", "v").as_uint64("id"), 7u);
  const auto &n = v.at("result", "v").at("n", "result").as_array("n");
  ASSERT_EQ(n.size(), 6u);
  EXPECT_EQ(n[1].as_int64("n1"), -2);
  EXPECT_THROW(n[1].as_uint64("n1"), JsonError);
  EXPECT_THROW(n[2].as_int64("n2"), JsonError); // 3.5e1 is not written as an integer
  EXPECT_TRUE(n[3].as_bool("n3"));
  EXPECT_TRUE(n[5].is_null());
  EXPECT_EQ(v.at("result", "v").at("s", "result").as_string("s"), "a\"\\/\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.at("result", "v").to_json(), R"({"n":[1,-2,3.5e1,true,false,null],"s":"a\"\\/é😀"})");
}

TEST(JsonValue, NumbersOutOfRangeAreRefused) {
  EXPECT_EQ(parse_json("18446744073709551615").as_uint64("x"), 18446744073709551615u);
  EXPECT_THROW(parse_json("18446744073709551616").as_uint64("x"), JsonError);
  EXPECT_THROW(parse_json("9223372036854775808").as_int64("x"), JsonError);
}

TEST(JsonValue, MalformedTextIsRefused) {
  for (const char *text : {"",
                           " ",
                           "{",
                           "[1,]",
                           "{\"a\":1,}",
                           "{\"a\" 1}",
                           "01",
                           "1.",
                           "-",
                           "1e",
                           "+1",
                           "tru",
                           "nul",
                           "\"abc",
                           "\"\\x\"",
                           "\"\\ud800\"",
                           "\"\\udc00\"",
                           "\"\x01\"",
                           "\"\xff\"",
                           "\"\xc0\xaf\"",
                           "\"\xed\xa0\x80\"",
                           "{\"a\":1,\"a\":2}",
                           "1 2",
                           "{1:2}",
                           "'a'"}) {
    EXPECT_THROW(parse_json(text), JsonError) << text;
  }
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_THROW(parse_json(deep), JsonError);
  std::string fine(64, '[');
  fine += std::string(64, ']');
  EXPECT_NO_THROW(parse_json(fine));
}

TEST(JsonValue, WrongKindNamesTheValue) {
  try {
    parse_json("{\"a\":\"x\"}").at("a", "answer").as_uint64("answer.a");
    FAIL() << "no exception";
  } catch (const JsonError &e) {
    EXPECT_STREQ(e.what(), "answer.a: expected an integer, got a string");
  }
}

TEST(JsonValue, MessagesStartWithTheContext) {
  try {
    parse_json("[1,,2]");
    FAIL() << "no exception";
  } catch (const JsonError &e) {
    EXPECT_STREQ(e.what(), "invalid JSON: invalid JSON value (at byte 3)");
    EXPECT_STREQ(e.sqlstate(), "22023");
  }
  try {
    parse_json("{\"a\":1,\"a\":2}", "answer of chain_getHeader");
    FAIL() << "no exception";
  } catch (const JsonError &e) {
    EXPECT_STREQ(e.what(), "answer of chain_getHeader: duplicate key \"a\" (at byte 7)");
  }
}

TEST(JsonValue, MembersKeepTheirOrder) {
  const JsonValue v = parse_json(R"({"b":1,"a":[true,{"c":null}],"":"e"})");
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "b");
  EXPECT_EQ(v.members()[1].first, "a");
  EXPECT_EQ(v.members()[2].first, "");
  EXPECT_EQ(v.to_json(), R"({"b":1,"a":[true,{"c":null}],"":"e"})");
  EXPECT_EQ(JsonValue::kind_name(v.kind()), std::string("an object"));
}

TEST(JsonValue, CopiesAndMovesKeepTheTree) {
  const std::string text = R"({"long":")" + std::string(100, 'x') + R"(","short":"s","n":[1,2]})";
  const JsonValue original = parse_json(text);
  JsonValue copy = original;
  EXPECT_EQ(copy.to_json(), original.to_json());
  JsonValue moved = std::move(copy);
  EXPECT_EQ(moved.to_json(), original.to_json());
  JsonValue assigned = parse_json("\"something else, long enough not to fit inline\"");
  assigned = original;
  EXPECT_EQ(assigned.to_json(), original.to_json());
  assigned = parse_json("\"x\"");
  EXPECT_EQ(assigned.as_string("x"), "x");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.to_json(), original.to_json());
  JsonValue &self = assigned;
  assigned = std::move(self);
  EXPECT_EQ(assigned.to_json(), original.to_json());
}

TEST(JsonValue, ADestroyedValueLeavesNoCopyOfItsString) {
  // A short string lives inside the JsonValue itself: after its destructor, the storage it
  // occupied holds no trace of it (a long one's heap buffer is zeroed the same way, unseen here).
  const std::string secret = "0xsecret";
  alignas(JsonValue) unsigned char storage[sizeof(JsonValue)];
  JsonValue *value = new (storage) JsonValue(parse_json("\"" + secret + "\""));
  ASSERT_EQ(value->as_string("s"), secret);
  // Its tail: a moved-from string is cleared by a NUL over its first byte only.
  const std::string tail = secret.substr(1);
  const auto contains_secret = [&] {
    return std::search(storage, storage + sizeof storage, tail.begin(), tail.end()) !=
           storage + sizeof storage;
  };
  EXPECT_TRUE(contains_secret());
  // Moved from, the value keeps a copy in its inline buffer until it is destroyed.
  const JsonValue taken = std::move(*value);
  value->~JsonValue();
  EXPECT_FALSE(contains_secret());
  EXPECT_EQ(taken.as_string("s"), secret);
}

} // namespace
