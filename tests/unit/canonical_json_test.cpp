// Edge cases of canonical JSON (schemas/SIGNING.md, "Canonical JSON") that the shared vectors
// cannot carry: invalid UTF-8, raw NUL, very deep or very long texts, and exact error messages.
#include "mycelium/canonical_json.hpp"
#include "mycelium/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using mycelium::canonical_json;
using mycelium::Error;

// Expects `json` to be rejected with SQLSTATE 22023, a message starting with the field name and
// containing `fragment`.
void expect_rejected(const std::string &json, const std::string &fragment = "",
                     const std::string &field = "value") {
  SCOPED_TRACE("input: " + json.substr(0, 80));
  try {
    const std::string out = canonical_json(json, field);
    ADD_FAILURE() << "accepted, canonical form: " << out.substr(0, 80);
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(field + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

std::string nested_arrays(int levels, const std::string &inner = "") {
  return std::string(levels, '[') + inner + std::string(levels, ']');
}

std::string nested_objects(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i)
    s += "{\"k\":";
  s += "0";
  return s + std::string(levels, '}');
}

// --- Numbers ---------------------------------------------------------------------------------

TEST(CanonicalJsonNumber, PlainExactDecimal) {
  EXPECT_EQ(canonical_json("0"), "0");
  EXPECT_EQ(canonical_json("-0"), "0");
  EXPECT_EQ(canonical_json("0.0"), "0");
  EXPECT_EQ(canonical_json("-0.0"), "0");
  EXPECT_EQ(canonical_json("0e5"), "0");
  EXPECT_EQ(canonical_json("-0E-5"), "0");
  EXPECT_EQ(canonical_json("1.0"), "1");
  EXPECT_EQ(canonical_json("100"), "100");
  EXPECT_EQ(canonical_json("1e2"), "100");
  EXPECT_EQ(canonical_json("1E+2"), "100");
  EXPECT_EQ(canonical_json("1e-0"), "1");
  EXPECT_EQ(canonical_json("1.50"), "1.5");
  EXPECT_EQ(canonical_json("123.450"), "123.45");
  EXPECT_EQ(canonical_json("0.000123"), "0.000123");
  EXPECT_EQ(canonical_json("1.23e-4"), "0.000123");
  EXPECT_EQ(canonical_json("12e-4"), "0.0012");
  EXPECT_EQ(canonical_json("-12.3400e1"), "-123.4");
  EXPECT_EQ(canonical_json("100e-2"), "1");
  EXPECT_EQ(canonical_json("0.5e1"), "5");
  EXPECT_EQ(canonical_json("-7"), "-7");
}

TEST(CanonicalJsonNumber, SignificantDigits) {
  EXPECT_EQ(canonical_json("123456789012345"), "123456789012345");
  EXPECT_EQ(canonical_json("0.123456789012345"), "0.123456789012345");
  EXPECT_EQ(canonical_json("-1.23456789012345"), "-1.23456789012345");
  // Leading and trailing zeros are not significant.
  EXPECT_EQ(canonical_json("1234567890123450000"), "1234567890123450000");
  EXPECT_EQ(canonical_json("1.000000000000000000000"), "1");
  EXPECT_EQ(canonical_json("0.00000000000000000000123"), "0.00000000000000000000123");
  expect_rejected("1234567890123456", "more than 15 significant digits");
  expect_rejected("1.234567890123456", "more than 15 significant digits");
  expect_rejected("0.0001234567890123456", "more than 15 significant digits");
  expect_rejected("-12345678901234567890", "more than 15 significant digits");
}

TEST(CanonicalJsonNumber, Range) {
  EXPECT_EQ(canonical_json("1e308"), "1" + std::string(308, '0'));
  EXPECT_EQ(canonical_json("-1E308"), "-1" + std::string(308, '0'));
  EXPECT_EQ(canonical_json("9.99999999999999e307"), "999999999999999" + std::string(293, '0'));
  EXPECT_EQ(canonical_json("1e-307"), "0." + std::string(306, '0') + "1");
  EXPECT_EQ(canonical_json("-1e-307"), "-0." + std::string(306, '0') + "1");
  EXPECT_EQ(canonical_json("1.5e-307"), "0." + std::string(306, '0') + "15");
  expect_rejected("1e309", "outside 1e-307 .. 1e308");
  expect_rejected("1e-308", "outside 1e-307 .. 1e308");
  expect_rejected("9.99999999999999e-308", "outside");
  expect_rejected("1e-400", "outside");
  expect_rejected("1e99999999999999999999", "outside");
  expect_rejected("1e-99999999999999999999", "outside");
}

// The upper limit is the value 1e308, not "a leading digit times 10^308": 2e308 is above it and
// is not even a finite double, so a client that parses doubles could not sign it.
TEST(CanonicalJsonNumber, AboveOneE308IsRejected) {
  expect_rejected("2e308", "outside");
  expect_rejected("1.00000000000001e308", "outside");
  expect_rejected("-9.99e308", "outside");
  expect_rejected("10e308", "outside");
  EXPECT_EQ(canonical_json("10e307"), "1" + std::string(308, '0'));
  EXPECT_EQ(canonical_json("0.1e309"), "1" + std::string(308, '0'));
}

// An exponent too large for any integer type must still be judged by the value it denotes, also
// when many mantissa digits bring that value back towards 1.
TEST(CanonicalJsonNumber, HugeExponentWithManyDigits) {
  const std::string zeros(200000, '0');
  EXPECT_EQ(canonical_json("1" + zeros + "e-200000"), "1");
  EXPECT_EQ(canonical_json("0." + zeros + "1e200001"), "1");
  expect_rejected("1" + zeros + "e-2000000", "outside");
  expect_rejected("0." + zeros + "1e2000000", "outside");
}

TEST(CanonicalJsonNumber, InvalidSyntax) {
  expect_rejected("01", "unexpected text after the JSON value");
  expect_rejected("-01");
  expect_rejected("00");
  expect_rejected("[01]");
  expect_rejected("-", "invalid number");
  expect_rejected("-a", "invalid number");
  expect_rejected(".5", "invalid JSON value");
  expect_rejected("1.", "digits must follow '.'");
  expect_rejected("1.e5", "digits must follow '.'");
  expect_rejected("1e", "digits must follow the exponent");
  expect_rejected("1e+", "digits must follow the exponent");
  expect_rejected("+1", "invalid JSON value");
  expect_rejected("--1", "invalid number");
  expect_rejected("0x10");
  expect_rejected("1.5.2");
  expect_rejected("NaN", "invalid JSON value");
  expect_rejected("Infinity", "invalid JSON value");
  expect_rejected("-Infinity", "invalid number");
}

// --- Strings ---------------------------------------------------------------------------------

TEST(CanonicalJsonString, EveryEscape) {
  EXPECT_EQ(canonical_json(R"("\"\\\/\b\f\n\r\t")"), R"("\"\\/\b\f\n\r\t")");
  EXPECT_EQ(canonical_json(R"("\u0041\u00e9\u00E9")"), "\"A\xc3\xa9\xc3\xa9\"");
  EXPECT_EQ(canonical_json(R"("\u0022\u005c\u002f")"), R"("\"\\/")");
  EXPECT_EQ(canonical_json(R"("\u0008\u0009\u000a\u000c\u000d")"), R"("\b\t\n\f\r")");
  EXPECT_EQ(canonical_json(R"("\u0001\u000b\u000e\u001F\u0020")"),
            R"("\u0001\u000b\u000e\u001f ")");
  EXPECT_EQ(canonical_json(R"("\u007f")"), "\"\x7f\"");
  EXPECT_EQ(canonical_json(R"("\u2028\u2029")"), "\"\xe2\x80\xa8\xe2\x80\xa9\"");
  EXPECT_EQ(canonical_json(R"("\ud83d\ude00")"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(canonical_json(R"("\uDBFF\uDFFF")"), "\"\xf4\x8f\xbf\xbf\"");
  EXPECT_EQ(canonical_json(R"("\uffff")"), "\"\xef\xbf\xbf\"");
}

TEST(CanonicalJsonString, RawCharactersStayRaw) {
  EXPECT_EQ(canonical_json("\"a/b\""), "\"a/b\"");
  EXPECT_EQ(canonical_json("\"\x7f\""), "\"\x7f\"");
  EXPECT_EQ(canonical_json("\"\xe2\x80\xa8\""), "\"\xe2\x80\xa8\""); // U+2028
  EXPECT_EQ(canonical_json("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(canonical_json("\"\xf4\x8f\xbf\xbf\""), "\"\xf4\x8f\xbf\xbf\""); // U+10FFFF
  EXPECT_EQ(canonical_json("\"\""), "\"\"");
}

TEST(CanonicalJsonString, RawControlCharacterRejected) {
  expect_rejected("\"a\tb\"", "unescaped control character");
  expect_rejected("\"a\nb\"", "unescaped control character");
  expect_rejected("\"\x01\"", "unescaped control character");
  expect_rejected("\"\x1f\"", "unescaped control character");
  expect_rejected(std::string("\"a\0b\"", 5), "unescaped control character");
}

TEST(CanonicalJsonString, InvalidUtf8Rejected) {
  for (const std::string bytes : {
           "\x80",             // continuation byte first
           "\xbf",             //
           "\xc3",             // truncated two-byte sequence
           "\xc3\x28",         // bad continuation
           "\xe2\x82",         // truncated three-byte sequence
           "\xf0\x9f\x98",     // truncated four-byte sequence
           "\xf8\x88\x80\x80", // five-byte form
           "\xfe",             //
           "\xff",             //
           "\xed\xa0\x80",     // UTF-8 encoded surrogate U+D800
           "\xed\xbf\xbf",     // U+DFFF
           "\xf4\x90\x80\x80", // U+110000
           "\xf5\x80\x80\x80", //
       }) {
    expect_rejected("\"" + bytes + "\"", "invalid UTF-8");
  }
  // Outside strings a non-ASCII byte is simply not JSON.
  expect_rejected("\xc3\xa9", "invalid JSON value");
}

TEST(CanonicalJsonString, OverlongEncodingRejected) {
  expect_rejected("\"\xc0\xaf\"", "invalid UTF-8");                  // '/' in two bytes
  expect_rejected("\"\xc1\xbf\"", "invalid UTF-8");                  // U+007F in two bytes
  expect_rejected("\"\xc0\x80\"", "invalid UTF-8");                  // U+0000 in two bytes
  expect_rejected("\"\xe0\x80\xaf\"", "invalid UTF-8");              // '/' in three bytes
  expect_rejected("\"\xe0\x9f\xbf\"", "invalid UTF-8");              // U+07FF in three bytes
  expect_rejected("\"\xf0\x80\x80\xaf\"", "invalid UTF-8");          // '/' in four bytes
  expect_rejected("\"\xf0\x8f\xbf\xbf\"", "invalid UTF-8");          // U+FFFF in four bytes
  EXPECT_EQ(canonical_json("\"\xe0\xa0\x80\""), "\"\xe0\xa0\x80\""); // U+0800
  EXPECT_EQ(canonical_json("\"\xf0\x90\x80\x80\""), "\"\xf0\x90\x80\x80\""); // U+10000
}

TEST(CanonicalJsonString, BadEscapesRejected) {
  expect_rejected(R"("\ud800")", "lone high surrogate");
  expect_rejected(R"("\ud800x")", "lone high surrogate");
  expect_rejected(R"("\ud800\n")", "lone high surrogate");
  expect_rejected(R"("\ud800\u0041")", "lone high surrogate");
  expect_rejected(R"("\ud800\ud800")", "lone high surrogate");
  expect_rejected(R"("\udc00")", "lone low surrogate");
  expect_rejected(R"("\ude00\ud83d")", "lone low surrogate");
  expect_rejected(R"("\u0000")", "U+0000");
  expect_rejected(R"("\x41")", "invalid escape");
  expect_rejected(R"("\a")", "invalid escape");
  expect_rejected(R"("\U0041")", "invalid escape");
  expect_rejected(R"("\u12")", "\\u escape");
  expect_rejected(R"("\u12g4")", "invalid \\u escape");
  expect_rejected("\"\\u00e", "truncated \\u escape");
  expect_rejected("\"\\", "");
  expect_rejected("\"abc", "unterminated string");
  expect_rejected("'abc'", "invalid JSON value");
}

// --- Objects, arrays, literals, whitespace -----------------------------------------------------

TEST(CanonicalJsonObject, KeysSortedByUtf8Bytes) {
  // "" < "B" < "a" < "aa" < "b" < U+007F < U+00E9 < U+FB01 < U+1F600 by bytes; RFC 8785's UTF-16
  // order would put U+1F600 (d83d de00) before U+FB01.
  EXPECT_EQ(canonical_json(R"({"b":1,"\ud83d\ude00":2,"\ufb01":3,"a":4,"aa":5,"B":6,"":7,)"
                           R"("\u00e9":8,"\u007f":9})"),
            "{\"\":7,\"B\":6,\"a\":4,\"aa\":5,\"b\":1,\"\x7f\":9,\"\xc3\xa9\":8,"
            "\"\xef\xac\x81\":3,\"\xf0\x9f\x98\x80\":2}");
  // Keys are compared decoded, and written in canonical string form.
  EXPECT_EQ(canonical_json(R"({"\u0062":1,"\u0061\n":2})"), R"({"a\n":2,"b":1})");
  // A key's control character sorts below every printable one.
  EXPECT_EQ(canonical_json(R"({"ab":1,"a\u0001":2,"a":3})"), R"({"a":3,"a\u0001":2,"ab":1})");
}

TEST(CanonicalJsonObject, DuplicateKeysRejected) {
  expect_rejected(R"({"a":1,"a":1})", "duplicate key \"a\"");
  expect_rejected(R"({"a":1,"b":2,"a":3})", "duplicate key");
  expect_rejected(R"({"a":1,"\u0061":2})", "duplicate key");
  expect_rejected(R"({"\u00e9":1,"é":2})", "duplicate key");
  expect_rejected(R"({"x":[{"k":1,"k":2}]})", "duplicate key");
  // The same key in different objects is fine.
  EXPECT_EQ(canonical_json(R"([{"a":1},{"a":2},{"b":{"a":3}}])"),
            R"([{"a":1},{"a":2},{"b":{"a":3}}])");
}

TEST(CanonicalJsonObject, ArraysKeepOrder) {
  EXPECT_EQ(canonical_json(R"([3,1,2,"b","a",null,true,false,{},[]])"),
            R"([3,1,2,"b","a",null,true,false,{},[]])");
}

TEST(CanonicalJsonObject, InvalidStructureRejected) {
  expect_rejected("[1,2,]", "invalid JSON value");
  expect_rejected(R"({"a":1,})", "expected a string key");
  expect_rejected("{a:1}", "expected a string key");
  expect_rejected(R"({"a" 1})", "expected ':'");
  expect_rejected(R"({"a":1 "b":2})", "expected ',' or '}'");
  expect_rejected("[1 2]", "expected ',' or ']'");
  expect_rejected("[1,2", "unexpected end of JSON (at byte 4)");
  expect_rejected("{", "unexpected end of JSON (at byte 1)");
  expect_rejected("[", "unexpected end of JSON");
  expect_rejected("]", "invalid JSON value");
  expect_rejected("{1:2}", "expected a string key");
}

TEST(CanonicalJsonLiteral, ExactSpelling) {
  EXPECT_EQ(canonical_json("true"), "true");
  EXPECT_EQ(canonical_json("false"), "false");
  EXPECT_EQ(canonical_json("null"), "null");
  expect_rejected("tru", "invalid JSON value");
  expect_rejected("True", "invalid JSON value");
  expect_rejected("NULL", "invalid JSON value");
  expect_rejected("nul", "invalid JSON value");
  expect_rejected("truex", "unexpected text after the JSON value");
  expect_rejected("[true1]", "expected ',' or ']'");
}

TEST(CanonicalJsonText, WhitespaceEverywhereIsDropped) {
  EXPECT_EQ(
      canonical_json(" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n]"
                     " \t\r\n, \t\r\n\"b\" \t\r\n: \t\r\n{ \t\r\n} \t\r\n, \"c\":[ ] } \t\r\n"),
      R"({"a":[1,2],"b":{},"c":[]})");
  // Whitespace inside strings is content.
  EXPECT_EQ(canonical_json(R"({" k ":" v "})"), R"({" k ":" v "})");
}

TEST(CanonicalJsonText, OnlyJsonWhitespace) {
  expect_rejected("\f1", "invalid JSON value");
  expect_rejected("\v1", "invalid JSON value");
  expect_rejected("\xc2\xa0"
                  "1",
                  "invalid JSON value"); // U+00A0
  expect_rejected("\xef\xbb\xbf"
                  "1",
                  "invalid JSON value"); // byte order mark
  expect_rejected("[1,\f2]", "invalid JSON value");
}

TEST(CanonicalJsonText, ExactlyOneValue) {
  expect_rejected("", "unexpected end of JSON");
  expect_rejected(" \n ", "unexpected end of JSON");
  expect_rejected("1 2", "unexpected text after the JSON value");
  expect_rejected("{} {}", "unexpected text after the JSON value");
  expect_rejected(std::string("1\0", 2), "unexpected text after the JSON value");
  expect_rejected("\"a\"\"b\"", "unexpected text after the JSON value");
}

// "Nesting deeper than 512 levels": a level is an object or array; scalars add none.
TEST(CanonicalJsonText, Depth) {
  EXPECT_EQ(canonical_json(nested_arrays(512)), nested_arrays(512));
  EXPECT_EQ(canonical_json(nested_arrays(512, "1")), nested_arrays(512, "1"));
  EXPECT_EQ(canonical_json(nested_arrays(511, "{}")), nested_arrays(511, "{}"));
  EXPECT_EQ(canonical_json(nested_objects(512)), nested_objects(512));
  expect_rejected(nested_arrays(513), "nesting deeper than 512 levels");
  expect_rejected(nested_arrays(513, "1"), "nesting deeper than 512 levels");
  expect_rejected(nested_arrays(512, "{}"), "nesting deeper than 512 levels");
  expect_rejected(nested_objects(513), "nesting deeper than 512 levels");
  // Far deeper must fail cleanly, not overflow the stack.
  expect_rejected(nested_arrays(100000), "nesting deeper than 512 levels");
  expect_rejected(std::string(100000, '['), "nesting deeper than 512 levels");
  // Depth counts nesting, not the number of containers.
  std::string wide = "[";
  for (int i = 0; i < 2000; ++i)
    wide += i ? ",[[]]" : "[[]]";
  wide += "]";
  EXPECT_EQ(canonical_json(wide), wide);
}

TEST(CanonicalJsonText, ErrorMessageStartsWithField) {
  expect_rejected("{", "", "capabilities");
  expect_rejected("1e999", "1e999", "capabilities");
  expect_rejected("[1,", "(at byte 3)", "value");
  try {
    canonical_json("nope");
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()).rfind("value: invalid JSON value", 0), 0u) << e.what();
  }
}

} // namespace
