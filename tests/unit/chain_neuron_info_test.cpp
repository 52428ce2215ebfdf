// Bittensor's NeuronInfoLite and the NeuronInfoRuntimeApi_get_neurons_lite result
// (core/include/mycelium/chain/neuron_info.hpp) and the neuron with Fiber's Node fields
// (neuron.hpp). The vectors are polkadot-js's (@polkadot/types 16.5.6, the types registered by
// hand as tests/chain/fake_subnet.mjs registers them): the one-neuron Alice vector of the
// reference notes, and a two-neuron vector made by fake_subnet.mjs's neuronsLiteAnswer with
// the inputs written next to it.
#include "mycelium/chain/neuron.hpp"
#include "mycelium/chain/neuron_info.hpp"

#include "chain_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

using namespace mycelium;
using namespace mycelium::chain;
using chain_test::bytes;
using chain_test::expect_error;

constexpr const char *kInvalid = sqlstate::kInvalidParameterValue;

const std::string kAlice = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
const std::string kBob = "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48";
const std::string kCharlie = "90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22";
const std::string kDave = "306721211d5404bd9da88e0204360a1a9ab8b87c66c1bc2fcdd37f3c2222cc20";
const std::string kEve = "e659a7a1628cdd93febc04a4e0646ea20e9f5f0ce097d9a05290d4a9e054df4e";

// Vec<NeuronInfoLite> with one neuron: hotkey = coldkey = Alice, uid 3, netuid 1, active;
// axon {block 100, version 1, ip 2130706433, port 8091, ip_type 4, protocol 4}; prometheus
// zero; stake [(Alice, 10^9)]; emission 123456, incentive 65535, consensus 100, last_update
// 5000, pruning_score 65535; the rest 0 or false. 190 bytes, 191 with the vec's length.
const std::string kAliceNeuron =
    "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d" // hotkey
    "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d" // coldkey
    "0c0401"                                                           // uid, netuid, active
    "64000000000000000100000001"                 // axon: block, version, ip from here
    "00007f0000000000000000000000009b1f04040000" // .. port, ip_type, protocol, placeholders
    "00000000000000000000000000000000000000000000000000000000000000" // prometheus: 31 zero bytes
    "04d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d02286bee" // stake
    "0002890700feff03009101000000214e00feff0300"; // rank .. pruning_score
const std::string kAliceVector = "04" + kAliceNeuron;

// The same bytes wrapped in a Vec<u8>: Compact(191), then them (polkadot-js: 0xfd0204d435...).
const std::string kAliceWrapped = "fd02" + kAliceVector;

// Two neurons: Alice's above, then hotkey Bob, coldkey Charlie, uid 70, netuid 300, inactive;
// axon {block 2^40, version 7, ip 2001:db8::1, port 443, ip_type 6, protocol 4, placeholders 1
// and 2}; prometheus {block 9, version 3, ip 10.0.0.9, port 9100, ip_type 4}; stake [(Charlie,
// 2^64 - 1), (Dave, 5), (Eve, 2^40)]; rank 7, emission 2^33, incentive 1, consensus 2, trust
// 32768, validator_trust 65535, dividends 3, last_update 2^32 + 1, validator_permit,
// pruning_score 16384. 277 bytes.
const std::string kBobNeuron =
    "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48" // hotkey
    "90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22" // coldkey
    "1901b10400"                                                       // uid, netuid, active
    "000000000001000007000000010000000000000000000000b80d0120"         // axon: block, version, ip
    "bb0106040102" // .. port, ip_type, protocol, placeholders
    "0900000000000000030000000900000a0000000000000000000000008c2304" // prometheus
    "0c"                                                             // stake: 3 entries
    "90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe2213ffffffffffffffff"
    "306721211d5404bd9da88e0204360a1a9ab8b87c66c1bc2fcdd37f3c2222cc2014"
    "e659a7a1628cdd93febc04a4e0646ea20e9f5f0ce097d9a05290d4a9e054df4e0b000000000001"
    "1c070000000002040802000200feff03000c0701000000010102000100"; // rank .. pruning_score
const std::string kTwoNeurons = "08" + kAliceNeuron + kBobNeuron;
// Compact(468) wrapping them (polkadot-js: 0x510708d4...).
const std::string kTwoNeuronsWrapped = "5107" + kTwoNeurons;

// Where the second neuron's `active` is: the vec's length byte, the first neuron, two account
// ids, uid 70 and netuid 300 (two bytes each).
constexpr std::size_t kBobActiveOffset = 1 + 191 - 1 + 64 + 2 + 2;

std::string with_byte(std::string hex, std::size_t offset, const char *byte) {
  hex.replace(2 * offset, 2, byte);
  return hex;
}

NeuronsLite decode(const std::string &hex) {
  return decode_neurons_lite(bytes(hex), "test result");
}

void expect_alice(const NeuronInfoLite &n) {
  EXPECT_EQ(chain_test::hex(n.hotkey), kAlice);
  EXPECT_EQ(chain_test::hex(n.coldkey), kAlice);
  EXPECT_EQ(n.uid, 3);
  EXPECT_EQ(n.netuid, 1);
  EXPECT_TRUE(n.active);
  EXPECT_EQ(n.axon_info.block, 100u);
  EXPECT_EQ(n.axon_info.version, 1u);
  EXPECT_EQ(n.axon_info.ip, U128(2130706433));
  EXPECT_EQ(n.axon_info.port, 8091);
  EXPECT_EQ(n.axon_info.ip_type, 4);
  EXPECT_EQ(n.axon_info.protocol, 4);
  EXPECT_EQ(n.axon_info.placeholder1, 0);
  EXPECT_EQ(n.axon_info.placeholder2, 0);
  EXPECT_EQ(n.prometheus_info.block, 0u);
  EXPECT_EQ(n.prometheus_info.version, 0u);
  EXPECT_EQ(n.prometheus_info.ip, U128(0));
  EXPECT_EQ(n.prometheus_info.port, 0);
  EXPECT_EQ(n.prometheus_info.ip_type, 0);
  ASSERT_EQ(n.stake.size(), 1u);
  EXPECT_EQ(chain_test::hex(n.stake[0].account), kAlice);
  EXPECT_EQ(n.stake[0].rao, 1000000000u);
  EXPECT_EQ(n.rank, 0);
  EXPECT_EQ(n.emission, 123456u);
  EXPECT_EQ(n.incentive, 65535);
  EXPECT_EQ(n.consensus, 100);
  EXPECT_EQ(n.trust, 0);
  EXPECT_EQ(n.validator_trust, 0);
  EXPECT_EQ(n.dividends, 0);
  EXPECT_EQ(n.last_update, 5000u);
  EXPECT_FALSE(n.validator_permit);
  EXPECT_EQ(n.pruning_score, 65535);
}

void expect_bob(const NeuronInfoLite &n) {
  EXPECT_EQ(chain_test::hex(n.hotkey), kBob);
  EXPECT_EQ(chain_test::hex(n.coldkey), kCharlie);
  EXPECT_EQ(n.uid, 70);
  EXPECT_EQ(n.netuid, 300);
  EXPECT_FALSE(n.active);
  EXPECT_EQ(n.axon_info.block, std::uint64_t{1} << 40);
  EXPECT_EQ(n.axon_info.version, 7u);
  EXPECT_EQ(n.axon_info.ip, U128::from_halves(0x20010db800000000u, 1));
  EXPECT_EQ(n.axon_info.port, 443);
  EXPECT_EQ(n.axon_info.ip_type, 6);
  EXPECT_EQ(n.axon_info.protocol, 4);
  EXPECT_EQ(n.axon_info.placeholder1, 1);
  EXPECT_EQ(n.axon_info.placeholder2, 2);
  EXPECT_EQ(n.prometheus_info.block, 9u);
  EXPECT_EQ(n.prometheus_info.version, 3u);
  EXPECT_EQ(n.prometheus_info.ip, U128(0x0a000009));
  EXPECT_EQ(n.prometheus_info.port, 9100);
  EXPECT_EQ(n.prometheus_info.ip_type, 4);
  ASSERT_EQ(n.stake.size(), 3u);
  EXPECT_EQ(chain_test::hex(n.stake[0].account), kCharlie);
  EXPECT_EQ(n.stake[0].rao, ~std::uint64_t{0});
  EXPECT_EQ(chain_test::hex(n.stake[1].account), kDave);
  EXPECT_EQ(n.stake[1].rao, 5u);
  EXPECT_EQ(chain_test::hex(n.stake[2].account), kEve);
  EXPECT_EQ(n.stake[2].rao, std::uint64_t{1} << 40);
  EXPECT_EQ(n.rank, 7);
  EXPECT_EQ(n.emission, std::uint64_t{1} << 33);
  EXPECT_EQ(n.incentive, 1);
  EXPECT_EQ(n.consensus, 2);
  EXPECT_EQ(n.trust, 32768);
  EXPECT_EQ(n.validator_trust, 65535);
  EXPECT_EQ(n.dividends, 3);
  EXPECT_EQ(n.last_update, (std::uint64_t{1} << 32) + 1);
  EXPECT_TRUE(n.validator_permit);
  EXPECT_EQ(n.pruning_score, 16384);
}

// decode(hex) throws Error 22023 with every fragment in its message.
void expect_refused(const std::string &hex, std::initializer_list<std::string> fragments) {
  try {
    decode(hex);
    ADD_FAILURE() << "accepted " << hex;
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), kInvalid);
    for (const std::string &fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what() << "\nexpected: " << fragment;
  }
}

TEST(NeuronInfo, ReferenceVectorFieldByField) {
  ASSERT_EQ(bytes(kAliceVector).size(), 191u);
  const NeuronsLite result = decode(kAliceVector);
  EXPECT_EQ(result.form, NeuronsLiteForm::current);
  ASSERT_EQ(result.neurons.size(), 1u);
  expect_alice(result.neurons[0]);
}

TEST(NeuronInfo, WrappedFormHoldsTheSameNeurons) {
  const NeuronsLite result = decode(kAliceWrapped);
  EXPECT_EQ(result.form, NeuronsLiteForm::wrapped);
  ASSERT_EQ(result.neurons.size(), 1u);
  expect_alice(result.neurons[0]);
}

TEST(NeuronInfo, TwoNeuronsBothForms) {
  for (const std::string &hex : {kTwoNeurons, kTwoNeuronsWrapped}) {
    const NeuronsLite result = decode(hex);
    EXPECT_EQ(result.form,
              hex == kTwoNeurons ? NeuronsLiteForm::current : NeuronsLiteForm::wrapped);
    ASSERT_EQ(result.neurons.size(), 2u);
    expect_alice(result.neurons[0]);
    expect_bob(result.neurons[1]);
  }
}

// 0x00 is Vec<NeuronInfoLite> with no neuron (the empty subnet, or one that does not exist);
// as Vec<u8> it would hold no bytes, not even the inner length. 0x0400 is Vec<u8> holding 0x00,
// the older runtimes' empty subnet (which Fiber calls None); as Vec<NeuronInfoLite> it would be
// one neuron cut short after one byte.
TEST(NeuronInfo, EmptySubnetInBothForms) {
  const NeuronsLite current = decode("00");
  EXPECT_EQ(current.form, NeuronsLiteForm::current);
  EXPECT_TRUE(current.neurons.empty());
  const NeuronsLite wrapped = decode("0400");
  EXPECT_EQ(wrapped.form, NeuronsLiteForm::wrapped);
  EXPECT_TRUE(wrapped.neurons.empty());
}

// The smallest neuron: hotkey Bob, coldkey Alice, everything else zero or empty (polkadot-js).
// Its size is the bound the list's length is checked against.
TEST(NeuronInfo, SmallestNeuronIsTheMinimumSize) {
  const std::string smallest = "04" + kBob + kAlice + std::string(2 * 79, '0');
  ASSERT_EQ(bytes(smallest).size(), 1 + kMinNeuronInfoLiteSize);
  const NeuronsLite result = decode(smallest);
  ASSERT_EQ(result.neurons.size(), 1u);
  EXPECT_EQ(chain_test::hex(result.neurons[0].hotkey), kBob);
  EXPECT_EQ(chain_test::hex(result.neurons[0].coldkey), kAlice);
  EXPECT_TRUE(result.neurons[0].stake.empty());
  EXPECT_EQ(to_neuron(result.neurons[0]).ip, "0.0.0.0");
}

TEST(NeuronInfo, NoBytesIsNeitherForm) {
  expect_refused("", {"test result: the result is neither of its forms: ", "truncated"});
}

TEST(NeuronInfo, TruncatedNamesTheField) {
  // The last neuron's last field lost its last byte.
  const std::string truncated = kTwoNeurons.substr(0, kTwoNeurons.size() - 2);
  expect_refused(truncated, {"test result: the result is neither of its forms: as "
                             "Vec<NeuronInfoLite>: neurons[1].pruning_score: "
                             "truncated: needs 4 bytes, 3 left (at byte 464 of 467)",
                             "its length prefix says 2 bytes, but 466 bytes follow"});
  // Cut inside the first axon: too short for one neuron, which the length check sees first;
  // then inside the second one's axon.
  expect_refused(kAliceVector.substr(0, 2 * 80),
                 {"neurons: length 1 exceeds what the 79 bytes left can hold"});
  expect_refused(kTwoNeurons.substr(0, 2 * 290),
                 {"neurons[1].axon_info.ip_type: truncated: needs 1 byte, 0 left (at byte 290 of "
                  "290)"});
  // A wrapped answer cut short: its length no longer matches.
  expect_refused(kAliceWrapped.substr(0, kAliceWrapped.size() - 2),
                 {"as Vec<u8> wrapping Vec<NeuronInfoLite>: its length prefix says 191 bytes, "
                  "but 190 bytes follow"});
}

TEST(NeuronInfo, TrailingBytesAreRefused) {
  expect_refused(
      kAliceVector + "00",
      {"as Vec<NeuronInfoLite>: 1 unexpected byte after the value (at byte 191 of 192)"});
  expect_refused(kAliceWrapped + "00", {"its length prefix says 191 bytes, but 192 bytes follow"});
  // Inside the wrapping, with a length that covers them: the wrapped reading is reported first.
  const std::string inner = kAliceVector + "0000";
  const std::string wrapped = "0503" + inner; // Compact(193)
  expect_refused(wrapped,
                 {"test result: the result is neither of its forms: as Vec<u8> wrapping "
                  "Vec<NeuronInfoLite> (offsets within the wrapped bytes, which start at "
                  "byte 2): 2 unexpected bytes after the value (at byte 191 of 193)",
                  "; as Vec<NeuronInfoLite>: neurons: length 193 exceeds what the 193 bytes "
                  "left can hold"});
}

TEST(NeuronInfo, BadBoolNamesTheField) {
  expect_refused(with_byte(kTwoNeurons, kBobActiveOffset, "02"),
                 {"as Vec<NeuronInfoLite>: neurons[1].active: invalid bool byte 2 (only 0 and 1 "
                  "are) (at byte " +
                  std::to_string(kBobActiveOffset) + " of 468)"});
  // validator_permit: the byte before the last neuron's pruning_score (16384: four bytes).
  expect_refused(with_byte(kTwoNeurons, 468 - 5, "07"),
                 {"neurons[1].validator_permit: invalid bool byte 7"});
  // In the wrapped form the offset counts from the wrapped bytes.
  expect_refused(
      with_byte(kTwoNeuronsWrapped, 2 + kBobActiveOffset, "02"),
      {"neither of its forms: as Vec<u8> wrapping Vec<NeuronInfoLite> (offsets within the "
       "wrapped bytes, which start at byte 2): neurons[1].active: invalid bool byte 2",
       "(at byte " + std::to_string(kBobActiveOffset) + " of 468)"});
}

TEST(NeuronInfo, AxonAddressesSubtensorNeverStoresAreRefused) {
  // In the Alice vector the axon's ip is at bytes 80..95 (least significant first), its
  // ip_type at 98.
  expect_refused(with_byte(kAliceVector, 98, "05"),
                 {"neurons[0].axon_info: ip_type 5 is neither 4 (IPv4), 6 (IPv6) nor 0"});
  expect_refused(with_byte(kAliceVector, 98, "00"),
                 {"neurons[0].axon_info: ip_type 0 (no axon served) with a non-zero ip "
                  "2130706433"});
  expect_refused(with_byte(kAliceVector, 84, "01"), // + 2^32
                 {"neurons[0].axon_info: ip_type 4 with an address of more than 32 bits: "
                  "6425673729"});
  // The same address as IPv6 is fine.
  const NeuronsLite v6 = decode(with_byte(kAliceVector, 98, "06"));
  EXPECT_EQ(to_neuron(v6.neurons[0]).ip, "::127.0.0.1");
}

TEST(NeuronInfo, NarrowCompactsAreRefused) {
  // uid is Compact<u16>: 65536 (0x02000400, in place of uid 3's 0x0c) does not fit.
  const std::string wide_uid =
      "04" + kAliceNeuron.substr(0, 128) + "02000400" + kAliceNeuron.substr(130);
  expect_refused(wide_uid, {"neurons[0].uid: compact value 65536 does not fit in u16"});
}

TEST(Neuron, FiberNodeFieldsOfTheReferenceVector) {
  const Neuron n = to_neuron(decode(kAliceVector).neurons[0]);
  EXPECT_EQ(n.hotkey, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  EXPECT_EQ(n.coldkey, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  EXPECT_EQ(n.node_id, 3);
  EXPECT_EQ(n.incentive, 65535); // raw, as Fiber's Node has it
  EXPECT_EQ(n.netuid, 1);
  EXPECT_EQ(n.stake, 1.0);
  EXPECT_EQ(n.stake_rao, U128(1000000000));
  EXPECT_EQ(n.trust, 0.0);
  EXPECT_EQ(n.vtrust, 0.0);
  EXPECT_EQ(n.last_updated, 5000u);
  EXPECT_EQ(n.ip, "127.0.0.1");
  EXPECT_EQ(n.ip_type, 4);
  EXPECT_EQ(n.port, 8091);
  EXPECT_EQ(n.protocol, 4);
  EXPECT_FALSE(n.validator_permit);
  EXPECT_TRUE(n.active);
  expect_alice(n.info);
}

TEST(Neuron, StakeSumIsExactAndTrustScaled) {
  const Neuron n = to_neuron(decode(kTwoNeurons).neurons[1]);
  EXPECT_EQ(n.hotkey, "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty");
  EXPECT_EQ(n.coldkey, "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y");
  EXPECT_EQ(n.node_id, 70);
  EXPECT_EQ(n.netuid, 300);
  // (2^64 - 1) + 5 + 2^40 = 2^64 + 2^40 + 4: carried into the high half.
  EXPECT_EQ(n.stake_rao, U128::from_halves(1, (std::uint64_t{1} << 40) + 4));
  EXPECT_EQ(to_string(n.stake_rao), "18446745173221179396");
  EXPECT_DOUBLE_EQ(n.stake, 18446745173221179396.0 / 1e9);
  EXPECT_EQ(n.trust, 32768.0 / 65535.0);
  EXPECT_EQ(n.vtrust, 1.0);
  EXPECT_EQ(n.incentive, 1);
  EXPECT_EQ(n.last_updated, (std::uint64_t{1} << 32) + 1);
  EXPECT_EQ(n.ip, "2001:db8::1");
  EXPECT_EQ(n.ip_type, 6);
  EXPECT_EQ(n.port, 443);
  EXPECT_EQ(n.protocol, 4);
  EXPECT_TRUE(n.validator_permit);
  EXPECT_FALSE(n.active);
}

TEST(Neuron, StakeOfSmallAmountsIsTheirSumOverABillion) {
  NeuronInfoLite info;
  info.stake = {{{}, 1}, {{}, 2}, {{}, 1500000000}};
  const Neuron n = to_neuron(info);
  EXPECT_EQ(n.stake_rao, U128(1500000003));
  EXPECT_EQ(n.stake, 1500000003 / 1e9);
  EXPECT_EQ(to_neuron(NeuronInfoLite{}).stake, 0.0);
}

TEST(Neuron, AxonIpText) {
  EXPECT_EQ(axon_ip_text(0, 0), "0.0.0.0"); // never served: Fiber's text for it
  EXPECT_EQ(axon_ip_text(0, 4), "0.0.0.0");
  EXPECT_EQ(axon_ip_text(0x0a000001, 4), "10.0.0.1");
  EXPECT_EQ(axon_ip_text(0xfffffffe, 4), "255.255.255.254");
  EXPECT_EQ(axon_ip_text(0xffffffff, 4), "255.255.255.255");
  // RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as
  // "::" (the first of equal runs), a single zero group written out; IPv4-mapped addresses with
  // the IPv4 part dotted (section 5).
  EXPECT_EQ(axon_ip_text(U128::from_halves(0x20010db800000000u, 1), 6), "2001:db8::1");
  EXPECT_EQ(axon_ip_text(U128::from_halves(0x20010db800000001u, 0x0001000100010001u), 6),
            "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(axon_ip_text(U128::from_halves(0x0001000000000002u, 0x0000000000000003u), 6),
            "1:0:0:2::3");
  EXPECT_EQ(axon_ip_text(U128::from_halves(0x0001000000000002u, 0x0000000000030004u), 6),
            "1::2:0:0:3:4");
  EXPECT_EQ(axon_ip_text(U128::from_halves(0xfe80000000000000u, 0), 6), "fe80::");
  EXPECT_EQ(axon_ip_text(U128::from_halves(0, 0x0000ffff01020304u), 6), "::ffff:1.2.3.4");
  EXPECT_EQ(axon_ip_text(1, 6), "::1");
  EXPECT_EQ(axon_ip_text(U128::max(), 6), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  expect_error([] { axon_ip_text(0, 5); }, kInvalid,
               "axon address: ip_type 5 is neither 4 (IPv4), 6 (IPv6) nor 0 (no axon served)");
  expect_error([] { axon_ip_text(7, 0); }, kInvalid,
               "ip_type 0 (no axon served) with a non-zero ip 7");
  expect_error([] { axon_ip_text(U128::from_halves(0, 0x100000000u), 4); }, kInvalid,
               "ip_type 4 with an address of more than 32 bits: 4294967296");
}

} // namespace
