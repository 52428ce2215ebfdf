// The lexical layer shared by the project's JSON parsers (json_lexer.hpp, utf8.hpp): escapes,
// surrogate pairs, UTF-8, whitespace, numbers (big ones too), the object and array punctuation
// and the nesting limit, each checked once here, and the two parsers on it (canonical JSON and
// JSON values) held to the same verdict and message on every text either could see.
#include "mycelium/canonical_json.hpp"
#include "mycelium/json_lexer.hpp"
#include "mycelium/json_value.hpp"
#include "mycelium/utf8.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using namespace mycelium;

// The message after "<context>: ", or nullopt when `parse` accepts the text.
template <class Parse> std::optional<std::string> refusal(Parse parse, const std::string &text) {
  try {
    parse(text);
    return std::nullopt;
  } catch (const JsonError &e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
    const std::string message = e.what();
    const std::string prefix = "ctx: ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    return message.substr(prefix.size());
  }
}

std::optional<std::string> canonical_refusal(const std::string &text) {
  return refusal([](const std::string &t) { canonical_json(t, "ctx"); }, text);
}
std::optional<std::string> value_refusal(const std::string &text) {
  return refusal([](const std::string &t) { parse_json(t, "ctx"); }, text);
}

// Both parsers refuse `text` with exactly `message` (position included).
void expect_refused(const std::string &text, const std::string &message) {
  SCOPED_TRACE("input: " + text);
  EXPECT_EQ(canonical_refusal(text), message);
  EXPECT_EQ(value_refusal(text), message);
}

// The decoded contents of one string literal, read by the lexer alone.
std::string decoded(const std::string &literal, JsonRules rules = {}) {
  JsonLexer lex(literal, "ctx", rules);
  std::string out;
  lex.string(out);
  EXPECT_TRUE(lex.at_end()) << literal;
  return out;
}

// --- Strings: escapes and surrogate pairs ------------------------------------------------------

TEST(JsonLexerString, DecodesEveryEscape) {
  EXPECT_EQ(decoded(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(decoded(R"("\u0041\u00e9\u00E9\u20ac")"), "A\xc3\xa9\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(decoded(R"("\u007f\u0080\u07ff\u0800\uffff")"),
            "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
  EXPECT_EQ(decoded(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(decoded(R"("\uD800\uDC00")"), "\xf0\x90\x80\x80"); // U+10000, the first pair
  EXPECT_EQ(decoded(R"("\udbff\udfff")"), "\xf4\x8f\xbf\xbf"); // U+10FFFF, the last
  EXPECT_EQ(decoded(R"("a\u0000b")"), std::string("a\0b", 3)); // allowed unless refuse_nul
  EXPECT_EQ(decoded(R"("")"), "");
  EXPECT_EQ(decoded("\"\x7f \xc2\x80\""), "\x7f \xc2\x80"); // raw DEL and U+0080
}

TEST(JsonLexerString, DecodedTextFitsTheFirstReservation) {
  // The buffer is reserved once and never reallocated: its address does not change while the
  // literal is decoded (a reallocation would leave a copy of a secret in freed memory).
  for (const std::string &literal :
       {std::string(R"("\u00e9\ud83d\ude00)") + std::string(300, 'x') + "\"",
        "\"" + std::string(1000, 'y') + "\"", std::string(R"("\"\\\/\b\f\n\r\t")")}) {
    JsonLexer lex(literal, "ctx", {});
    std::string out;
    lex.string(out);
    EXPECT_LE(out.size(), literal.size() - 2);
    EXPECT_GE(out.capacity(), literal.size() - 2);
  }
}

TEST(JsonLexerString, RefusesBadEscapesAtTheBackslash) {
  expect_refused(R"(["ab\x"])", "invalid escape in string (at byte 4)");
  expect_refused(R"(["\a"])", "invalid escape in string (at byte 2)");
  expect_refused(R"(["\U0041"])", "invalid escape in string (at byte 2)");
  expect_refused(R"(["\u12g4"])", "invalid \\u escape (at byte 2)");
  expect_refused(R"(["\u12"])", "invalid \\u escape (at byte 2)");
  expect_refused("[\"\\u00e", "truncated \\u escape (at byte 2)");
  expect_refused("[\"\\", "unterminated string (at byte 3)");
  expect_refused("[\"abc", "unterminated string (at byte 5)");
  expect_refused("'a'", "invalid JSON value (at byte 0)");
}

TEST(JsonLexerString, RefusesLoneSurrogates) {
  expect_refused(R"(["\ud800"])", "lone high surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["x\ud800x"])", "lone high surrogate in \\u escape (at byte 3)");
  expect_refused(R"(["\ud800\n"])", "lone high surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["\ud800\u0041"])", "lone high surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["\ud800\ud800"])", "lone high surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["\ud800\u12"])", "invalid \\u escape (at byte 2)");
  expect_refused(R"(["\udc00"])", "lone low surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["\ude00\ud83d"])", "lone low surrogate in \\u escape (at byte 2)");
  expect_refused(R"(["\udfff"])", "lone low surrogate in \\u escape (at byte 2)");
}

TEST(JsonLexerString, RefusesRawControlCharacters) {
  for (int c = 0; c < 0x20; ++c)
    expect_refused("[\"a" + std::string(1, static_cast<char>(c)) + "\"]",
                   "unescaped control character in string (at byte 3)");
}

TEST(JsonLexerString, NulIsRefusedOnlyWhereTheRulesSaySo) {
  // Canonical JSON refuses U+0000 (jsonb cannot store it); JSON values keep it.
  EXPECT_EQ(canonical_refusal(R"(["a\u0000"])"), "U+0000 is not allowed in strings (at byte 3)");
  EXPECT_EQ(value_refusal(R"(["a\u0000"])"), std::nullopt);
  EXPECT_EQ(parse_json(R"("a\u0000")").as_string("s"), std::string("a\0", 2));
}

// --- UTF-8 -------------------------------------------------------------------------------------

TEST(Utf8, SequencesAtTheBoundaries) {
  const std::vector<std::string> valid = {
      std::string(1, '\0'), "\x7f",         "\xc2\x80",
      "\xdf\xbf",           "\xe0\xa0\x80", "\xed\x9f\xbf",
      "\xee\x80\x80",       "\xef\xbf\xbf", "\xf0\x90\x80\x80",
      "\xf4\x8f\xbf\xbf"}; // U+0000 .. U+10FFFF around each length
  for (const std::string &text : valid) {
    EXPECT_EQ(utf8_sequence_length(text, 0), text.size()) << text;
    EXPECT_EQ(first_invalid_utf8(text), std::string_view::npos);
  }
  EXPECT_EQ(utf8_sequence_length("a", 1), 0u); // past the end
}

const std::vector<std::string> &invalid_utf8() {
  static const std::vector<std::string> cases = {
      "\x80",             // a continuation byte first
      "\xbf",             //
      "\xc0\xaf",         // '/' in two bytes (overlong)
      "\xc1\xbf",         // U+007F in two bytes
      "\xe0\x9f\xbf",     // U+07FF in three bytes
      "\xf0\x8f\xbf\xbf", // U+FFFF in four bytes
      "\xc3",             // truncated
      "\xc3\x28",         // bad continuation
      "\xe2\x82",         //
      "\xf0\x9f\x98",     //
      "\xed\xa0\x80",     // the surrogate U+D800
      "\xed\xbf\xbf",     // U+DFFF
      "\xf4\x90\x80\x80", // U+110000
      "\xf5\x80\x80\x80", //
      "\xf8\x88\x80\x80", // a five-byte form
      "\xfe",             //
      "\xff",             //
  };
  return cases;
}

TEST(Utf8, InvalidSequencesAreFoundWhereTheyStart) {
  for (const std::string &bad : invalid_utf8()) {
    EXPECT_EQ(utf8_sequence_length(bad, 0), 0u) << bad;
    EXPECT_EQ(first_invalid_utf8("ab\xc3\xa9" + bad + "c"), 4u) << bad;
  }
}

TEST(Utf8, AppendEncodesEveryLength) {
  for (const std::uint32_t code_point : {0x0u, 0x41u, 0x7fu, 0x80u, 0x7ffu, 0x800u, 0xd7ffu,
                                         0xe000u, 0xffffu, 0x10000u, 0x10ffffu}) {
    std::string out;
    append_utf8(out, code_point);
    EXPECT_EQ(utf8_sequence_length(out, 0), out.size()) << code_point;
    EXPECT_EQ(out.size(), code_point < 0x80      ? 1u
                          : code_point < 0x800   ? 2u
                          : code_point < 0x10000 ? 3u
                                                 : 4u);
  }
}

TEST(JsonLexerString, RefusesInvalidUtf8AtItsFirstByte) {
  for (const std::string &bad : invalid_utf8())
    expect_refused("[\"ab\xc3\xa9" + bad + "\"]", "invalid UTF-8 (at byte 6)");
  // Outside strings a non-ASCII byte is simply not JSON.
  expect_refused("\xc3\xa9", "invalid JSON value (at byte 0)");
}

// --- Whitespace and punctuation ----------------------------------------------------------------

TEST(JsonLexerText, OnlyTheFourWhitespaceCharacters) {
  EXPECT_EQ(canonical_json(" \t\n\r[ \t\n\r1 \t\n\r] \t\n\r"), "[1]");
  expect_refused("\f[1]", "invalid JSON value (at byte 0)");
  expect_refused("[1]\v", "unexpected text after the JSON value (at byte 3)");
  expect_refused("\xc2\xa0[1]", "invalid JSON value (at byte 0)"); // U+00A0
}

TEST(JsonLexerText, PunctuationMessages) {
  expect_refused("", "unexpected end of JSON (at byte 0)");
  expect_refused("  ", "unexpected end of JSON (at byte 2)");
  expect_refused("[", "unexpected end of JSON (at byte 1)");
  expect_refused("[1", "unexpected end of JSON (at byte 2)");
  expect_refused("[1,", "unexpected end of JSON (at byte 3)");
  expect_refused("[1 2]", "expected ',' or ']' (at byte 3)");
  expect_refused("[1,]", "invalid JSON value (at byte 3)");
  expect_refused("[,1]", "invalid JSON value (at byte 1)");
  expect_refused("{", "unexpected end of JSON (at byte 1)");
  expect_refused(R"({"a")", "unexpected end of JSON (at byte 4)");
  expect_refused(R"({"a" 1})", "expected ':' (at byte 5)");
  expect_refused(R"({"a":1 "b":2})", "expected ',' or '}' (at byte 7)");
  expect_refused(R"({"a":1,})", "expected a string key (at byte 7)");
  expect_refused("{1:2}", "expected a string key (at byte 1)");
  expect_refused("]", "invalid JSON value (at byte 0)");
  expect_refused("[1]]", "unexpected text after the JSON value (at byte 3)");
  expect_refused("1 2", "unexpected text after the JSON value (at byte 2)");
  expect_refused("tru", "invalid JSON value (at byte 0)");
  expect_refused("nul", "invalid JSON value (at byte 0)");
  expect_refused("True", "invalid JSON value (at byte 0)");
  expect_refused("[true1]", "expected ',' or ']' (at byte 5)");
}

// --- Numbers -----------------------------------------------------------------------------------

JsonNumber scanned(const std::string &text) {
  JsonLexer lex(text, "ctx", {});
  const JsonNumber n = lex.number();
  EXPECT_TRUE(lex.at_end()) << text;
  return n;
}

TEST(JsonLexerNumber, SplitsTheLiteral) {
  const JsonNumber n = scanned("-0.50e+3");
  EXPECT_EQ(n.literal, "-0.50e+3");
  EXPECT_TRUE(n.negative);
  EXPECT_EQ(n.int_digits, "0");
  EXPECT_EQ(n.fraction_digits, "50");
  EXPECT_EQ(n.exponent, 3);
  const JsonNumber m = scanned("120E-07");
  EXPECT_FALSE(m.negative);
  EXPECT_EQ(m.int_digits, "120");
  EXPECT_EQ(m.fraction_digits, "");
  EXPECT_EQ(m.exponent, -7);
}

TEST(JsonLexerNumber, BigNumbersAreScannedWhole) {
  const std::string digits(400, '9');
  EXPECT_EQ(scanned(digits).int_digits, digits);
  EXPECT_EQ(scanned("0." + digits).fraction_digits, digits);
  // The exponent saturates instead of overflowing, in both directions.
  const JsonNumber huge = scanned("1e" + std::string(40, '9'));
  EXPECT_GE(huge.exponent, 100000000000000000);
  EXPECT_LT(huge.exponent, 1000000000000000000);
  EXPECT_LE(scanned("1E-" + std::string(40, '9')).exponent, -100000000000000000);
  // Leading zeros of the exponent are fine.
  EXPECT_EQ(scanned("1e0000000000000000000000000000000000000007").exponent, 7);
  // A JSON value keeps the text; canonical JSON refuses what doubles cannot hold exactly.
  EXPECT_EQ(parse_json(digits).to_json(), digits);
  EXPECT_THROW(parse_json(digits).as_uint64("n"), JsonError);
  EXPECT_EQ(parse_json("18446744073709551615").as_uint64("n"), 18446744073709551615u);
  EXPECT_EQ(parse_json("-9223372036854775808").as_int64("n"), INT64_MIN);
  EXPECT_THROW(parse_json("-9223372036854775809").as_int64("n"), JsonError);
  EXPECT_NE(canonical_refusal(digits)->find("more than 15 significant digits"), std::string::npos);
  EXPECT_NE(canonical_refusal("1e" + std::string(40, '9'))->find("outside 1e-307 .. 1e308"),
            std::string::npos);
}

TEST(JsonLexerNumber, RefusesWhatTheGrammarDoesNot) {
  expect_refused("-", "invalid number (at byte 1)");
  expect_refused("-a", "invalid number (at byte 1)");
  expect_refused("--1", "invalid number (at byte 1)");
  expect_refused("1.", "invalid number: digits must follow '.' (at byte 2)");
  expect_refused("1.e5", "invalid number: digits must follow '.' (at byte 2)");
  expect_refused("1e", "invalid number: digits must follow the exponent (at byte 2)");
  expect_refused("1e+", "invalid number: digits must follow the exponent (at byte 3)");
  expect_refused("01", "unexpected text after the JSON value (at byte 1)");
  expect_refused("-01", "unexpected text after the JSON value (at byte 2)");
  expect_refused("0x10", "unexpected text after the JSON value (at byte 1)");
  expect_refused("+1", "invalid JSON value (at byte 0)");
  expect_refused(".5", "invalid JSON value (at byte 0)");
  expect_refused("NaN", "invalid JSON value (at byte 0)");
  expect_refused("Infinity", "invalid JSON value (at byte 0)");
}

// --- Nesting -----------------------------------------------------------------------------------

TEST(JsonLexerDepth, TheLimitCountsContainers) {
  const auto nested = [](int levels, const std::string &inner) {
    return std::string(static_cast<std::size_t>(levels), '[') + inner +
           std::string(static_cast<std::size_t>(levels), ']');
  };
  EXPECT_NO_THROW(parse_json(nested(kJsonValueMaxDepth, "1")));
  EXPECT_NO_THROW(parse_json(nested(kJsonValueMaxDepth - 1, "{\"a\":1}")));
  EXPECT_EQ(value_refusal(nested(kJsonValueMaxDepth + 1, "")),
            "nesting deeper than 64 levels (at byte 64)");
  EXPECT_EQ(value_refusal(nested(kJsonValueMaxDepth, "{}")),
            "nesting deeper than 64 levels (at byte 64)");
  EXPECT_EQ(canonical_refusal(nested(513, "")), "nesting deeper than 512 levels (at byte 512)");
  EXPECT_EQ(canonical_json(nested(512, "")), nested(512, ""));
  // Any limit the rules give.
  JsonLexer lex("[[1]]", "ctx", JsonRules{1, false});
  lex.begin_container(0);
  EXPECT_THROW(lex.begin_container(1), JsonError);
}

// --- The same verdict from both parsers --------------------------------------------------------

TEST(JsonLexer, BothParsersAgreeOnEveryTextHere) {
  // Valid texts (no duplicate keys, no U+0000, shallow): both accept. The refusals above already
  // went through both.
  for (const char *text :
       {"0", "-0", "1.5e-3", "true", "null", "[]", "{}", " [ 1 , [ ] , { } ] ", "\"\\u00e9\"",
        R"({"a":{"b":[1,"x",null,false]},"c":""})", "\"\xf4\x8f\xbf\xbf\""}) {
    EXPECT_EQ(canonical_refusal(text), std::nullopt) << text;
    EXPECT_EQ(value_refusal(text), std::nullopt) << text;
  }
}

TEST(JsonLexer, DuplicateKeysAreRefusedByBoth) {
  // Canonical JSON finds them when it sorts, after the object; a JSON value at the second key.
  EXPECT_EQ(canonical_refusal(R"({"a":1,"b":2,"a":3})"), "duplicate key \"a\" (at byte 19)");
  EXPECT_EQ(value_refusal(R"({"a":1,"b":2,"a":3})"), "duplicate key \"a\" (at byte 13)");
  EXPECT_EQ(value_refusal(R"({"\u0061":1,"a":2})"), "duplicate key \"a\" (at byte 12)");
}

} // namespace
