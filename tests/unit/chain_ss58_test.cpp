// Base58 and SS58 addresses (core/include/mycelium/chain/base58.hpp, ss58.hpp): published
// vectors, and a refusal naming what is wrong for every kind of malformed address.
#include "mycelium/chain/base58.hpp"
#include "mycelium/chain/ss58.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

// subkey inspect //Alice: the development account every Substrate tool knows.
constexpr char kAlicePublicHex[] =
    "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
constexpr char kAliceGeneric[] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"; // prefix 42

AccountId alice() {
  const Bytes bytes = from_hex(kAlicePublicHex, kAccountIdSize, "alice");
  AccountId id;
  std::memcpy(id.data(), bytes.data(), id.size());
  return id;
}

Bytes bytes_of(const std::string &hex) {
  return from_hex(hex, hex.size() / 2, "test bytes");
}

// An address built by hand from its parts, with a correct checksum of `checksum_size` bytes
// unless `corrupt_checksum`: for the inputs ss58_encode refuses to produce.
std::string address_from_parts(const Bytes &prefix, const Bytes &payload,
                               std::size_t checksum_size = 2, bool corrupt_checksum = false) {
  Bytes data = prefix;
  data.insert(data.end(), payload.begin(), payload.end());
  std::uint8_t hash[64];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof hash);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char *>("SS58PRE"), 7);
  crypto_generichash_update(&state, data.data(), data.size());
  crypto_generichash_final(&state, hash, sizeof hash);
  if (corrupt_checksum)
    hash[0] ^= 1;
  data.insert(data.end(), hash, hash + checksum_size);
  return base58_encode(data);
}

Bytes alice_bytes() {
  const AccountId id = alice();
  return Bytes(id.begin(), id.end());
}

// Expects `address` refused with a message containing each fragment.
void expect_refused(const std::string &address, std::initializer_list<std::string> fragments) {
  try {
    ss58_decode(address);
    ADD_FAILURE() << "accepted " << address;
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
    for (const std::string &fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what() << "\nexpected: " << fragment;
  }
}

// Bitcoin's base58_encode_decode.json.
TEST(Base58, BitcoinVectors) {
  const std::pair<const char *, const char *> vectors[] = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
  };
  for (const auto &[hex, text] : vectors) {
    EXPECT_EQ(base58_encode(bytes_of(hex)), text) << hex;
    EXPECT_EQ(to_hex(base58_decode(text, "vector")), hex) << text;
  }
}

TEST(Base58, RefusesCharactersOutsideTheAlphabet) {
  for (const auto &[text, shown] :
       {std::pair<std::string, std::string>{"abc0", "'0' at position 3"},
        {"Oab", "'O' at position 0"},
        {"aIb", "'I' at position 1"},
        {"abl", "'l' at position 2"},
        {"ab c", "byte 0x20 at position 2"},
        {"a+b", "'+' at position 1"},
        {"a\xc3\xa9", "byte 0xc3 at position 1"}}) {
    try {
      base58_decode(text, "thing");
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("thing: invalid base58 character " + shown),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Ss58, AliceUnderThePublishedPrefixes) {
  EXPECT_EQ(ss58_encode(alice()), kAliceGeneric); // Bittensor's 42 is the default
  EXPECT_EQ(ss58_encode(alice(), 42), kAliceGeneric);
  EXPECT_EQ(ss58_encode(alice(), 0), "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5");
  EXPECT_EQ(ss58_encode(alice(), 2), "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F");
  // Two-byte prefixes (polkadot-js encodeAddress gives the same).
  EXPECT_EQ(ss58_encode(alice(), 255), "yGHXkYLYqxijLKKfd9Q2CB9shRVu8rPNBS53wvwGTutYg4zTg");
  EXPECT_EQ(ss58_encode(alice(), 16383), "yNa8JpqfFB3q8A29rCwSgxvdU94ufJw2yKKxDgznS5m1PoFvn");

  for (const std::uint16_t prefix : {0, 2, 42, 63, 64, 255, 1000, 16383}) {
    const Ss58Address decoded = ss58_decode(ss58_encode(alice(), prefix));
    EXPECT_EQ(decoded.prefix, prefix);
    EXPECT_EQ(decoded.account_id, alice());
  }
  EXPECT_EQ(ss58_decode_account(kAliceGeneric), alice());
  EXPECT_EQ(ss58_decode_account("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5", 0), alice());
}

TEST(Ss58, EveryPrefixRoundTrips) {
  AccountId id{};
  for (std::uint32_t prefix = 0; prefix <= kMaxSs58Prefix; prefix += 7) {
    if (prefix == 46 || prefix == 47)
      continue;
    id[prefix % 32] = static_cast<std::uint8_t>(prefix);
    const Ss58Address decoded = ss58_decode(ss58_encode(id, static_cast<std::uint16_t>(prefix)));
    ASSERT_EQ(decoded.prefix, prefix);
    ASSERT_EQ(decoded.account_id, id);
  }
}

TEST(Ss58, EncodeRefusesReservedAndTooLargePrefixes) {
  for (const std::uint16_t prefix : {46, 47, 16384, 65535}) {
    try {
      ss58_encode(alice(), prefix);
      ADD_FAILURE() << "encoded prefix " << prefix;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("SS58 prefix " + std::to_string(prefix)),
                std::string::npos);
    }
  }
}

TEST(Ss58, RefusesEmptyAndOverlongText) {
  expect_refused("", {"SS58 address is empty"});
  expect_refused(std::string(65, '5'), {"65 characters is too long"});
}

TEST(Ss58, RefusesInvalidBase58NamingTheCharacter) {
  std::string address = kAliceGeneric;
  address[10] = '0';
  expect_refused(address, {"invalid base58 character '0' at position 10"});
  address[10] = 'l';
  expect_refused(address, {"invalid base58 character 'l' at position 10"});
  expect_refused(std::string(" ") + kAliceGeneric, {"byte 0x20 at position 0"});
}

TEST(Ss58, RefusesWrongLengths) {
  const Bytes alice = alice_bytes();
  const Bytes short_payload(alice.begin(), alice.end() - 1);
  expect_refused(address_from_parts({42}, short_payload),
                 {"decodes to 34 bytes", "is 35 bytes with a 1-byte prefix"});
  expect_refused(address_from_parts({0x4a, 0x80}, short_payload),
                 {"decodes to 35 bytes", "is 36 bytes with a 2-byte prefix"});
  expect_refused(kAliceGeneric + std::string("1"), {"decodes to 36 bytes"});
  expect_refused("1", {"decodes to 1 bytes"});
  expect_refused("2", {"decodes to 1 bytes"});
  // SS58's other payloads are named.
  Bytes ecdsa = alice;
  ecdsa.push_back(2);
  expect_refused(
      address_from_parts({42}, ecdsa),
      {"decodes to 36 bytes; that is the length of a 33-byte payload (an ECDSA public key)",
       "32-byte account id is 35 bytes"});
  for (const std::size_t index_size : {1, 2, 4, 8})
    expect_refused(address_from_parts({42}, Bytes(index_size, 7), 1),
                   {std::to_string(index_size) + "-byte payload (an account index)"});
}

TEST(Ss58, RefusesABadChecksum) {
  expect_refused(address_from_parts({42}, alice_bytes(), 2, true), {"bad checksum"});
  // A typo: two characters swapped.
  std::string swapped = kAliceGeneric;
  std::swap(swapped[20], swapped[21]);
  expect_refused(swapped, {"bad checksum"});
}

TEST(Ss58, RefusesReservedPrefixes) {
  expect_refused(address_from_parts({46}, alice_bytes()), {"prefix 46 is reserved"});
  expect_refused(address_from_parts({47}, alice_bytes()), {"prefix 47 is reserved"});
  expect_refused(address_from_parts({0x80}, alice_bytes()),
                 {"first byte 128 is not an SS58 prefix"});
  expect_refused(address_from_parts({0xff, 0xff}, alice_bytes()),
                 {"first byte 255 is not an SS58 prefix"});
}

TEST(Ss58, RefusesASmallPrefixInTheTwoByteForm) {
  // 42 spread over two bytes as Substrate's encoder would spread a prefix of 64 or more: Substrate
  // decodes it as 42, but 42 has a one-byte form, and one account must have one address.
  expect_refused(address_from_parts({0x4a, 0x80}, alice_bytes()),
                 {"prefix 42 is written in the two-byte form"});
}

TEST(Ss58, RefusesAnotherNetworksPrefixWhenOneIsExpected) {
  try {
    ss58_decode_account("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5", 42, "hotkey");
    ADD_FAILURE() << "accepted a Polkadot address as a Bittensor one";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("hotkey '15oF4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has prefix 0 (another network's), expected 42"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
