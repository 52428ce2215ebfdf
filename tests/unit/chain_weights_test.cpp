// The pure parts of setting weights (core/include/mycelium/chain/): XXH64 and storage keys against
// published values, mortal eras against Substrate's own era tests (sp-runtime
// generic/era.rs), and weight quantisation against Fiber's rule worked by hand. The metadata,
// the call and whole extrinsics are checked against polkadot-js in tests/chain/weights_cross.mjs.
#include "mycelium/chain/mortal_era.hpp"
#include "mycelium/chain/storage_key.hpp"
#include "mycelium/chain/weight_quantization.hpp"
#include "mycelium/chain/xxhash64.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::chain;

std::uint64_t xxhash_of(const std::string &text, std::uint64_t seed = 0) {
  return xxhash64(reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), seed);
}

std::string twox128_hex(const std::string &text) {
  return to_hex(twox(reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), 128));
}

Bytes bytes_of(const std::string &hex) {
  return from_hex(hex, hex.size() / 2, "test bytes");
}

template <class Call> void expect_refused(Call call, const std::string &fragment) {
  try {
    call();
    ADD_FAILURE() << "accepted; expected an error with: " << fragment;
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected: " << fragment;
  }
}

// xxHash's published values (the empty input, short inputs through each tail path, and a
// 39-byte one through the 32-byte stripes).
TEST(ChainXxhash64, PublishedValues) {
  EXPECT_EQ(xxhash_of(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxhash_of("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxhash_of("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(xxhash_of("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
}

// The prefixes every Substrate tool prints for System.Account, and subtensor's.
TEST(ChainStorageKey, WellKnownPrefixes) {
  EXPECT_EQ(twox128_hex("System"), "26aa394eea5630e07c48ae0c9558cef7");
  EXPECT_EQ(twox128_hex("Account"), "b99d880ec681799c0cf30e8886371da9");
  EXPECT_EQ(twox128_hex("SubtensorModule"), "658faa385070e074c85bf6b568cf0555");
  EXPECT_EQ(to_hex(storage_prefix("System", "Account")),
            "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9");
}

// SubtensorModule.Uids(netuid 1, Alice): Identity then Blake2_128Concat, as polkadot-js makes it
// (shared/reference, section D).
TEST(ChainStorageKey, DoubleMapKey) {
  const Bytes alice = bytes_of("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
  EXPECT_EQ(to_hex(storage_map_key("SubtensorModule", "Uids",
                                   {StorageHasher::identity, StorageHasher::blake2_128_concat},
                                   {bytes_of("0100"), alice})),
            "658faa385070e074c85bf6b568cf0555aab1b4e78e1ea8305462ee53b3686dc80100de1e86a9a8c739864c"
            "f3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
}

TEST(ChainStorageKey, OneKeyPerHasher) {
  expect_refused(
      [] {
        storage_map_key("SubtensorModule", "Uids", {StorageHasher::identity}, {Bytes{1}, Bytes{2}});
      },
      "SubtensorModule.Uids is a map of 1 key(s), given 2");
}

// sp-runtime's era.rs tests.
TEST(ChainMortalEra, SubstrateVectors) {
  const MortalEra e = MortalEra::for_block(42, 64);
  EXPECT_EQ(e.period, 64u);
  EXPECT_EQ(e.phase, 42u);
  EXPECT_EQ(e.encode(), (std::array<std::uint8_t, 2>{5 + 42 % 16 * 16, 42 / 16}));

  const MortalEra long_period = MortalEra::for_block(20000, 32768);
  EXPECT_EQ(long_period.period, 32768u);
  EXPECT_EQ(long_period.phase, 20000u);
  EXPECT_EQ(long_period.encode(), (std::array<std::uint8_t, 2>{14 + 2500 % 16 * 16, 2500 / 16}));

  // Era::mortal(period, current) == Era::Mortal(period', phase').
  const auto expect_era = [](std::uint64_t block, std::uint64_t period, std::uint64_t want_period,
                             std::uint64_t want_phase) {
    const MortalEra e = MortalEra::for_block(block, period);
    EXPECT_EQ(e.period, want_period) << "block " << block << ", period " << period;
    EXPECT_EQ(e.phase, want_phase) << "block " << block << ", period " << period;
  };
  expect_era(513, 200, 256, 1);
  expect_era(1, 2, 4, 1);
  expect_era(5, 4, 4, 1);
  // Clamped to 65536, the phase quantised: 1000001 % 65536 = 16961, rounded down to a multiple
  // of 65536 >> 12 = 16.
  expect_era(1000001, 1000000, 65536, 16960);
}

TEST(ChainMortalEra, BirthAndDeath) {
  const MortalEra e = MortalEra::for_block(6, 4);
  for (std::uint64_t block = 6; block < 10; ++block) {
    EXPECT_EQ(e.birth(block), 6u);
    EXPECT_EQ(e.death(block), 10u);
  }
  EXPECT_NE(e.birth(10), 6u);
  EXPECT_NE(e.birth(5), 6u);
  // The extrinsic built at block N is born at N (no quantisation below 4096).
  EXPECT_EQ(MortalEra::for_block(1000, 64).birth(1000), 1000u);
  // Above 4096 the phase is rounded down, and the era starts before the current block.
  EXPECT_EQ(MortalEra::for_block(100003, 8192).birth(100003), 100002u);
}

TEST(ChainMortalEra, PeriodZeroRefused) {
  expect_refused([] { MortalEra::for_block(5, 0); }, "era period 0");
}

// Fiber's rule, by hand: scale = 65535 / max; keep w > 0; Python's round (ties to even).
TEST(ChainWeightQuantization, FibersRule) {
  const QuantizedWeights q = quantize_weights({0, 1, 2}, {1.0, 0.5, 0.0});
  EXPECT_EQ(q.uids, (std::vector<std::uint16_t>{0, 1}));
  // 0.5 * 65535 = 32767.5, a tie: to the even 32768.
  EXPECT_EQ(q.weights, (std::vector<std::uint16_t>{65535, 32768}));

  // scale = 65535 / 131070 = 0.5: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2 (ties to even); half up would
  // give 1, 2, 3. The uid whose weight rounds to 0 stays, as in Fiber.
  const QuantizedWeights ties = quantize_weights({9, 8, 7, 6}, {131070, 1, 3, 5});
  EXPECT_EQ(ties.uids, (std::vector<std::uint16_t>{9, 8, 7, 6}));
  EXPECT_EQ(ties.weights, (std::vector<std::uint16_t>{65535, 0, 2, 2}));

  // Any scale, the order kept.
  const QuantizedWeights small = quantize_weights({5, 3, 4}, {1e-9, 3e-9, 0});
  EXPECT_EQ(small.uids, (std::vector<std::uint16_t>{5, 3}));
  EXPECT_EQ(small.weights, (std::vector<std::uint16_t>{21845, 65535}));

  const QuantizedWeights one = quantize_weights({12}, {0.25});
  EXPECT_EQ(one.weights, (std::vector<std::uint16_t>{65535}));
}

TEST(ChainWeightQuantization, Refusals) {
  expect_refused([] { quantize_weights({0, 1}, {1.0}); }, "2 uids but 1 weights");
  expect_refused([] { quantize_weights({}, {}); }, "no uids given");
  expect_refused([] { quantize_weights({0, 7}, {1.0, -0.5}); }, "weight 1 (uid 7) is negative");
  expect_refused([] { quantize_weights({3}, {std::nan("")}); }, "weight 0 (uid 3) is NaN");
  expect_refused(
      [] {
        quantize_weights({3, 4}, {1, std::numeric_limits<double>::infinity()});
      },
      "weight 1 (uid 4) is infinite");
  expect_refused([] { quantize_weights({1, 2}, {0.0, 0.0}); }, "every weight is 0");
}

} // namespace
