// The chain client's JSON reader (agent/chain/json_value.hpp): what JSON-RPC answers need, and
// the malformed texts a broken or hostile node could send.
#include "agent/chain/json_value.hpp"

#include <gtest/gtest.h>

namespace {

namespace ch = mycelium::chain;

TEST(ChainJson, ReadsAnAnswer) {
  const ch::JsonValue v = ch::parse_json(
      R"( {"jsonrpc":"2.0","id":7,"result":{"n":[1,-2,3.5e1,true,false,null],"s":"a\"\\\/\u00e9\ud83d\ude00"}} )");
  EXPECT_EQ(v.at("jsonrpc", "v").as_string("jsonrpc"), "2.0");
  EXPECT_EQ(v.at("id", "v").as_uint64("id"), 7u);
  const auto &n = v.at("result", "v").at("n", "result").as_array("n");
  ASSERT_EQ(n.size(), 6u);
  EXPECT_EQ(n[1].as_int64("n1"), -2);
  EXPECT_THROW(n[1].as_uint64("n1"), ch::JsonError);
  EXPECT_THROW(n[2].as_int64("n2"), ch::JsonError); // 3.5e1 is not written as an integer
  EXPECT_TRUE(n[3].as_bool("n3"));
  EXPECT_TRUE(n[5].is_null());
  EXPECT_EQ(v.at("result", "v").at("s", "result").as_string("s"), "a\"\\/\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.at("result", "v").to_json(), R"({"n":[1,-2,3.5e1,true,false,null],"s":"a\"\\/é😀"})");
}

TEST(ChainJson, NumbersOutOfRangeAreRefused) {
  EXPECT_EQ(ch::parse_json("18446744073709551615").as_uint64("x"), 18446744073709551615u);
  EXPECT_THROW(ch::parse_json("18446744073709551616").as_uint64("x"), ch::JsonError);
  EXPECT_THROW(ch::parse_json("9223372036854775808").as_int64("x"), ch::JsonError);
}

TEST(ChainJson, MalformedTextIsRefused) {
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
    EXPECT_THROW(ch::parse_json(text), ch::JsonError) << text;
  }
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_THROW(ch::parse_json(deep), ch::JsonError);
  std::string fine(64, '[');
  fine += std::string(64, ']');
  EXPECT_NO_THROW(ch::parse_json(fine));
}

TEST(ChainJson, WrongKindNamesTheValue) {
  try {
    ch::parse_json("{\"a\":\"x\"}").at("a", "answer").as_uint64("answer.a");
    FAIL() << "no exception";
  } catch (const ch::JsonError &e) {
    EXPECT_STREQ(e.what(), "answer.a: expected an integer, got a string");
  }
}

} // namespace
