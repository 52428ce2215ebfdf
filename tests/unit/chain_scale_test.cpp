// The SCALE codec (core/include/mycelium/chain/scale_encoder.hpp, scale_decoder.hpp):
// parity-scale-codec's published compact vectors, the mode boundaries, and the refusals
// (non-canonical compacts, truncation, length bombs, bad tags, invalid UTF-8), each naming the
// field being decoded.
#include "mycelium/chain/scale_decoder.hpp"
#include "mycelium/chain/scale_encoder.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

Bytes bytes_of(const std::string &hex) {
  return from_hex(hex, hex.size() / 2, "test bytes");
}

template <class Encode> std::string encoded_hex(Encode encode) {
  Bytes out;
  ScaleEncoder encoder(out);
  encode(encoder);
  return to_hex(out);
}

std::string compact_hex(const U128 &value) {
  return encoded_hex([&](ScaleEncoder &e) { e.compact(value); });
}

U128 decode_compact(const std::string &hex) {
  const Bytes bytes = bytes_of(hex);
  ScaleDecoder decoder(bytes);
  const U128 value = decoder.compact("n");
  decoder.expect_end();
  return value;
}

// Expects decode(decoder over `hex`) to throw, with a message containing each fragment.
template <class Decode>
void expect_refused(const std::string &hex, Decode decode,
                    std::initializer_list<std::string> fragments) {
  const Bytes bytes = bytes_of(hex);
  ScaleDecoder decoder(bytes, "test value");
  try {
    decode(decoder);
    ADD_FAILURE() << "accepted " << hex;
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
    for (const std::string &fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what() << "\nexpected: " << fragment;
  }
}

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};

TEST(U128, DecimalText) {
  EXPECT_EQ(to_string(U128()), "0");
  EXPECT_EQ(to_string(U128(7)), "7");
  EXPECT_EQ(to_string(U128(kU64Max)), "18446744073709551615");
  EXPECT_EQ(to_string(U128::from_halves(1, 0)), "18446744073709551616");
  EXPECT_EQ(to_string(U128::max()), "340282366920938463463374607431768211455");
  EXPECT_LT(U128(kU64Max), U128::from_halves(1, 0));
  EXPECT_EQ(U128(5), 5u);
}

TEST(ScaleFixedWidth, LittleEndian) {
  EXPECT_EQ(encoded_hex([](ScaleEncoder &e) {
              e.u8(0x01);
              e.u16(0x0302);
              e.u32(0x07060504);
              e.u64(0x0f0e0d0c0b0a0908);
              e.u128(U128::from_halves(0x1f1e1d1c1b1a1918, 0x1716151413121110));
              e.boolean(true);
              e.boolean(false);
            }),
            "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0100");
  const Bytes bytes =
      bytes_of("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0100");
  ScaleDecoder d(bytes);
  EXPECT_EQ(d.u8(), 0x01);
  EXPECT_EQ(d.u16(), 0x0302);
  EXPECT_EQ(d.u32(), 0x07060504u);
  EXPECT_EQ(d.u64(), 0x0f0e0d0c0b0a0908u);
  EXPECT_EQ(d.u128(), U128::from_halves(0x1f1e1d1c1b1a1918, 0x1716151413121110));
  EXPECT_TRUE(d.boolean());
  EXPECT_FALSE(d.boolean());
  d.expect_end();
}

TEST(ScaleCompact, ParityScaleCodecVectors) {
  // parity-scale-codec's compact_integers_encoded_as_expected, plus u128's ends.
  const std::pair<U128, const char *> vectors[] = {
      {0, "00"},
      {63, "fc"},
      {64, "0101"},
      {16383, "fdff"},
      {16384, "02000100"},
      {1073741823, "feffffff"},
      {1073741824, "0300000040"},
      {(1ull << 32) - 1, "03ffffffff"},
      {1ull << 32, "070000000001"},
      {1ull << 40, "0b000000000001"},
      {1ull << 48, "0f00000000000001"},
      {(1ull << 56) - 1, "0fffffffffffffff"},
      {1ull << 56, "130000000000000001"},
      {kU64Max, "13ffffffffffffffff"},
      {U128::from_halves(1, 0), "17000000000000000001"},
      {U128::max(), "33ffffffffffffffffffffffffffffffff"},
  };
  for (const auto &[value, hex] : vectors) {
    EXPECT_EQ(compact_hex(value), hex) << to_string(value);
    EXPECT_EQ(decode_compact(hex), value) << hex;
  }
}

TEST(ScaleCompact, ModeBoundaries) {
  const std::pair<U128, std::size_t> sizes[] = {
      {0, 1},
      {63, 1},
      {64, 2},
      {16383, 2},
      {16384, 4},
      {(1u << 30) - 1, 4},
      {1u << 30, 5},
      {1ull << 32, 6},
      {kU64Max, 9},
      {U128::from_halves(1, 0), 10},
      {U128::max(), 17},
  };
  for (const auto &[value, size] : sizes) {
    const std::string hex = compact_hex(value);
    EXPECT_EQ(hex.size(), 2 * size) << to_string(value);
    EXPECT_EQ(decode_compact(hex), value);
  }
}

TEST(ScaleCompact, RefusesNonCanonicalEncodings) {
  const auto compact = [](ScaleDecoder &d) { return d.compact("stake"); };
  // Each value written in a mode bigger than it needs.
  expect_refused("0100", compact,
                 {"stake: non-canonical compact integer: 0 written in the two-byte"});
  expect_refused("fd00", compact, {"63 written in the two-byte"});
  expect_refused("feff0000", compact, {"16383 written in the four-byte"});
  expect_refused("02000000", compact, {"0 written in the four-byte"});
  expect_refused("03ffffff3f", compact, {"1073741823 written in the big-integer 4-byte"});
  expect_refused("070000004000", compact, {"1073741824 written in the big-integer 5-byte"});
  expect_refused("33ffffffffffffffffffffffffffffff00", compact, {"big-integer 16-byte"});
}

TEST(ScaleCompact, RefusesMoreThanU128) {
  const auto compact = [](ScaleDecoder &d) { return d.compact("x"); };
  expect_refused("37" + std::string(34, 'f'), compact,
                 {"x: compact integer of 17 bytes: larger than u128"});
  expect_refused("ff" + std::string(134, 'f'), compact, {"compact integer of 67 bytes"});
}

TEST(ScaleCompact, NarrowTypesRefuseWhatDoesNotFit) {
  const Bytes u8_max = bytes_of(compact_hex(255));
  EXPECT_EQ(ScaleDecoder(u8_max).compact_as<std::uint8_t>(), 255);
  expect_refused(compact_hex(256),
                 [](ScaleDecoder &d) { return d.compact_as<std::uint8_t>("uid"); },
                 {"uid: compact value 256 does not fit in u8 (at byte 0 of 2)"});
  expect_refused(compact_hex(65536),
                 [](ScaleDecoder &d) { return d.compact_as<std::uint16_t>("netuid"); },
                 {"compact value 65536 does not fit in u16"});
  expect_refused(compact_hex(1ull << 32),
                 [](ScaleDecoder &d) { return d.compact_as<std::uint32_t>(); },
                 {"does not fit in u32"});
  expect_refused(compact_hex(U128::from_halves(1, 0)),
                 [](ScaleDecoder &d) { return d.compact_as<std::uint64_t>(); },
                 {"18446744073709551616 does not fit in u64"});
  const Bytes u64_max = bytes_of(compact_hex(kU64Max));
  EXPECT_EQ(ScaleDecoder(u64_max).compact_as<std::uint64_t>(), kU64Max);
}

TEST(ScaleDecoder, RefusesTruncatedInput) {
  expect_refused("010203", [](ScaleDecoder &d) { return d.u32("version"); },
                 {"test value: version: truncated: needs 4 bytes, 3 left (at byte 0 of 3)"});
  expect_refused("", [](ScaleDecoder &d) { return d.u8("ip_type"); },
                 {"ip_type: truncated: needs 1 byte, 0 left"});
  expect_refused(std::string(30, '0'), [](ScaleDecoder &d) { return d.u128("ip"); },
                 {"ip: truncated: needs 16 bytes, 15 left"});
  expect_refused("0200", [](ScaleDecoder &d) { return d.compact("emission"); },
                 {"emission: truncated: needs 4 bytes, 2 left (at byte 0"});
  expect_refused("", [](ScaleDecoder &d) { return d.compact("emission"); },
                 {"truncated: needs 1 byte"});
  expect_refused("13ffff", [](ScaleDecoder &d) { return d.compact(); },
                 {"truncated: needs 9 bytes, 3 left"});
  expect_refused(std::string(62, 'a'), [](ScaleDecoder &d) { return d.account_id("hotkey"); },
                 {"hotkey: truncated: needs 32 bytes, 31 left"});
}

TEST(ScaleDecoder, RefusesLengthsLargerThanTheInput) {
  // Vec<u8> claiming 2^30 bytes with three present: refused before any allocation.
  expect_refused("03000000400102", [](ScaleDecoder &d) { return d.bytes("data"); },
                 {"data: length 1073741824 exceeds what the 2 bytes left can hold (at byte 0"});
  // A length near u64's maximum.
  expect_refused("13ffffffffffffffff", [](ScaleDecoder &d) { return d.bytes("data"); },
                 {"length 18446744073709551615 exceeds"});
  // Vec<u32> of 2 items in 7 bytes: each item takes 4.
  expect_refused("08" + std::string(14, '0'),
                 [](ScaleDecoder &d) {
                   return d.vec(
                       "weights", [](ScaleDecoder &d) { return d.u32(); }, 4);
                 },
                 {"weights: length 2 exceeds what the 7 bytes left can hold"});
  // Vec<AccountId32> of one item in 31 bytes.
  expect_refused("04" + std::string(62, '1'),
                 [](ScaleDecoder &d) {
                   return d.vec(
                       "keys", [](ScaleDecoder &d) { return d.account_id(); }, 32);
                 },
                 {"keys: length 1 exceeds"});
}

TEST(ScaleDecoder, BoolIsOnlyZeroOrOne) {
  const Bytes good = bytes_of("0100");
  ScaleDecoder d(good);
  EXPECT_TRUE(d.boolean());
  EXPECT_FALSE(d.boolean());
  expect_refused("02", [](ScaleDecoder &d) { return d.boolean("active"); },
                 {"active: invalid bool byte 2 (only 0 and 1 are) (at byte 0 of 1)"});
  expect_refused("ff", [](ScaleDecoder &d) { return d.boolean(); }, {"invalid bool byte 255"});
}

TEST(ScaleOption, GenericFormAndOptionBool) {
  const auto u64 = [](ScaleEncoder &e, std::uint64_t v) { e.u64(v); };
  EXPECT_EQ(encoded_hex([&](ScaleEncoder &e) { e.option(std::optional<std::uint64_t>(), u64); }),
            "00");
  EXPECT_EQ(encoded_hex([&](ScaleEncoder &e) { e.option(std::optional<std::uint64_t>(5), u64); }),
            "010500000000000000");
  // Rust's Option<bool> is the generic form; OptionBool is the one-byte form.
  const auto boolean = [](ScaleEncoder &e, bool v) { e.boolean(v); };
  EXPECT_EQ(encoded_hex([&](ScaleEncoder &e) {
              e.option(std::optional<bool>(), boolean);
              e.option(std::optional<bool>(true), boolean);
              e.option(std::optional<bool>(false), boolean);
            }),
            "0001010100");
  EXPECT_EQ(encoded_hex([](ScaleEncoder &e) {
              e.option_bool(std::nullopt);
              e.option_bool(true);
              e.option_bool(false);
            }),
            "000102");

  const Bytes bytes = bytes_of("00010500000000000000"
                               "000102");
  ScaleDecoder d(bytes);
  const auto read_u64 = [](ScaleDecoder &d) { return d.u64(); };
  EXPECT_EQ(d.option("a", read_u64), std::nullopt);
  EXPECT_EQ(d.option("b", read_u64), std::optional<std::uint64_t>(5));
  EXPECT_EQ(d.option_bool(), std::nullopt);
  EXPECT_EQ(d.option_bool(), std::optional<bool>(true));
  EXPECT_EQ(d.option_bool(), std::optional<bool>(false));
  d.expect_end();

  expect_refused("02", [&](ScaleDecoder &d) { return d.option("axon", read_u64); },
                 {"axon: invalid Option tag 2 (only 0 and 1 are)"});
  expect_refused("03", [](ScaleDecoder &d) { return d.option_bool("flag"); },
                 {"flag: invalid OptionBool byte 3 (only 0, 1 and 2 are)"});
  expect_refused("0102",
                 [](ScaleDecoder &d) {
                   return d.option("permit", [](ScaleDecoder &d) { return d.boolean(); });
                 },
                 {"permit: invalid bool byte 2"});
}

TEST(ScaleStrings, Utf8RoundTripAndRefusals) {
  EXPECT_EQ(encoded_hex([](ScaleEncoder &e) { e.string("h\xc3\xa9llo"); }), "1868c3a96c6c6f");
  const Bytes text = bytes_of("1868c3a96c6c6f");
  EXPECT_EQ(ScaleDecoder(text).string(), "h\xc3\xa9llo");
  EXPECT_EQ(encoded_hex([](ScaleEncoder &e) { e.bytes(Bytes{1, 2, 3}); }), "0c010203");
  const Bytes raw = bytes_of("0c010203");
  EXPECT_EQ(ScaleDecoder(raw).bytes(), (Bytes{1, 2, 3}));

  const auto read = [](ScaleDecoder &d) { return d.string("name"); };
  expect_refused("0861ff", read,
                 {"name: String is not valid UTF-8 (byte 1 of the string) (at byte 2"});
  expect_refused("08c080", read, {"not valid UTF-8"});     // overlong NUL
  expect_refused("0ceda080", read, {"not valid UTF-8"});   // a surrogate
  expect_refused("08e282", read, {"not valid UTF-8"});     // truncated sequence
  expect_refused("10f4908080", read, {"not valid UTF-8"}); // above U+10FFFF
  EXPECT_THROW(encoded_hex([](ScaleEncoder &e) { e.string("a\xff"); }), Error);
}

TEST(ScaleDecoder, EnumVariantsAndTrailingBytes) {
  const Bytes bytes = bytes_of("02");
  EXPECT_EQ(ScaleDecoder(bytes).variant("era", 3), 2);
  expect_refused("03", [](ScaleDecoder &d) { return d.variant("ip_type", 3); },
                 {"ip_type: invalid enum variant 3 (the enum has 3)"});
  expect_refused("0100",
                 [](ScaleDecoder &d) {
                   d.u8();
                   d.expect_end();
                   return 0;
                 },
                 {"1 unexpected byte after the value (at byte 1 of 2)"});
}

// A struct in the shape of Bittensor's neurons: the path of a failure is in the message.
struct Axon {
  std::uint64_t block = 0;
  U128 ip;
  std::uint16_t port = 0;
};
struct Neuron {
  AccountId hotkey{};
  std::uint16_t uid = 0;
  Axon axon;
  std::vector<std::pair<AccountId, std::uint64_t>> stake;
};

Axon decode_axon(ScaleDecoder &d) {
  Axon axon;
  axon.block = d.u64("block");
  axon.ip = d.u128("ip");
  axon.port = d.u16("port");
  return axon;
}

std::vector<Neuron> decode_neurons(ScaleDecoder &d) {
  return d.vec("neurons", [](ScaleDecoder &d) {
    Neuron n;
    n.hotkey = d.account_id("hotkey");
    n.uid = d.compact_as<std::uint16_t>("uid");
    n.axon = d.nested("axon_info", decode_axon);
    n.stake = d.vec("stake", [](ScaleDecoder &d) {
      const AccountId coldkey = d.account_id();
      return std::make_pair(coldkey, d.compact_as<std::uint64_t>());
    });
    return n;
  });
}

void encode_neuron(ScaleEncoder &e, const Neuron &n) {
  e.account_id(n.hotkey);
  e.compact(n.uid);
  e.u64(n.axon.block);
  e.u128(n.axon.ip);
  e.u16(n.axon.port);
  e.vec(n.stake, [](ScaleEncoder &e, const std::pair<AccountId, std::uint64_t> &s) {
    e.account_id(s.first);
    e.compact(s.second);
  });
}

TEST(ScaleStructs, ComposeAndNameTheFailingField) {
  std::vector<Neuron> neurons(2);
  neurons[0].hotkey.fill(1);
  neurons[0].uid = 0;
  neurons[0].axon = {100, U128::from_halves(0, 0x7f000001), 8091};
  neurons[1].hotkey.fill(2);
  neurons[1].uid = 300;
  neurons[1].axon = {200, U128::from_halves(0x20010db8, 1), 443};
  AccountId coldkey;
  coldkey.fill(9);
  neurons[1].stake = {{coldkey, 1'000'000'000'000ull}};

  Bytes bytes;
  ScaleEncoder(bytes).vec(neurons, encode_neuron);
  ScaleDecoder d(bytes);
  const std::vector<Neuron> decoded = decode_neurons(d);
  d.expect_end();
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[1].hotkey, neurons[1].hotkey);
  EXPECT_EQ(decoded[1].uid, 300);
  EXPECT_EQ(decoded[1].axon.ip, neurons[1].axon.ip);
  EXPECT_EQ(decoded[1].axon.port, 443);
  ASSERT_EQ(decoded[1].stake.size(), 1u);
  EXPECT_EQ(decoded[1].stake[0].second, 1'000'000'000'000ull);

  // Cut inside the second neuron's port (before its stake: the compact 10^12 takes 6 bytes, the
  // coldkey 32, the stake's length 1; then 1 of the port's 2 bytes): the message names it.
  Bytes cut(bytes.begin(), bytes.end() - 6 - 32 - 1 - 1);
  ScaleDecoder truncated(cut, "get_neurons_lite");
  try {
    decode_neurons(truncated);
    ADD_FAILURE() << "decoded a truncated list";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "get_neurons_lite: neurons[1].axon_info.port: truncated: needs 2 bytes, 1 left"),
              std::string::npos)
        << e.what();
  }
}

TEST(ScaleDecoder, CallersCanRefuseDecodedValuesInContext) {
  const Bytes bytes = bytes_of("05");
  ScaleDecoder d(bytes, "axon");
  d.nested("info", [](ScaleDecoder &d) {
    const std::uint8_t ip_type = d.u8("ip_type");
    try {
      d.fail_at("ip_type", "ip_type " + std::to_string(ip_type) + " is neither 4 nor 6");
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("axon: info.ip_type: ip_type 5 is neither 4 nor 6"),
                std::string::npos)
          << e.what();
    }
    return 0;
  });
}

} // namespace
