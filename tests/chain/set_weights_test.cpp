// set_weights (agent/chain/set_weights.hpp) against tests/chain/fake_chain.mjs serving Bittensor's
// recorded runtime (fixtures/subtensor-metadata-v14.json: its metadata, versions and genesis).
// What the fake received is decoded by polkadot-js, which also checks the signature over the
// payload it builds itself; the storage the fake serves (CommitRevealWeightsEnabled,
// WeightsVersionKey) is keyed and encoded by polkadot-js too.
//
// One fake chain serves the whole program, so ctest runs it as one test (ChainSetWeights). Each
// test uses its own subnet, so that the storage one sets does not reach another.
#include "agent/chain/set_weights.hpp"
#include "fake_chain_process.hpp"

#include "mycelium/chain/sr25519_uri.hpp"
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/json_value.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace {

namespace ch = mycelium::chain;
using ch::Bytes;
using std::chrono::milliseconds;

FakeChainProcess *fake = nullptr;

const std::string kAlice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

std::string hex(const Bytes &bytes) {
  return "0x" + mycelium::to_hex(bytes);
}

const ch::sr25519::SecretKey &alice() {
  static const ch::sr25519::UriKey key = ch::sr25519::key_from_secret_uri("//Alice");
  return key.secret_key;
}

std::string url(bool websocket) {
  return std::string(websocket ? "ws" : "http") + "://127.0.0.1:" + std::to_string(fake->port()) +
         "/";
}

ch::RpcClientOptions quick() {
  ch::RpcClientOptions options;
  options.call_timeout = milliseconds(5000);
  options.first_backoff = milliseconds(50);
  options.poll_interval = milliseconds(50);
  return options;
}

ch::SetWeightsOptions short_wait(ch::RuntimeCache *cache = nullptr) {
  ch::SetWeightsOptions options;
  options.inclusion_timeout = milliseconds(5000);
  options.cache = cache;
  return options;
}

// Each submitted extrinsic as polkadot-js decoded it.
std::vector<mycelium::JsonValue> decoded() {
  const std::string line = fake->command("decode-submitted", "decoded ");
  return mycelium::parse_json(line.substr(std::string("decoded ").size())).as_array("decoded");
}

std::uint64_t calls(const std::string &method) {
  const std::string line = fake->command("calls " + method, "calls ");
  return std::stoull(line.substr(std::string("calls ").size()));
}

std::vector<std::uint64_t> numbers(const mycelium::JsonValue &array) {
  std::vector<std::uint64_t> out;
  for (const mycelium::JsonValue &item : array.as_array("array"))
    out.push_back(item.as_uint64("item"));
  return out;
}

// The last extrinsic the fake received is set_weights(netuid, dests, weights, version_key),
// signed by Alice with `nonce`, and its signature is valid.
void expect_last_submitted(const ch::WeightsSubmission &submission, std::uint16_t netuid,
                           const std::vector<std::uint64_t> &dests,
                           const std::vector<std::uint64_t> &weights, std::uint64_t version_key,
                           std::uint64_t nonce) {
  const auto all = decoded();
  ASSERT_FALSE(all.empty());
  const mycelium::JsonValue &last = all.back();
  EXPECT_EQ(last.at("hash", "d").as_string("hash"), hex(submission.extrinsic_hash));
  EXPECT_EQ(last.at("section", "d").as_string("section"), "subtensorModule");
  EXPECT_EQ(last.at("method", "d").as_string("method"), "setWeights");
  const mycelium::JsonValue &args = last.at("args", "d");
  EXPECT_EQ(args.at("netuid", "args").as_uint64("netuid"), netuid);
  EXPECT_EQ(numbers(args.at("dests", "args")), dests);
  EXPECT_EQ(numbers(args.at("weights", "args")), weights);
  EXPECT_EQ(args.at("version_key", "args").as_uint64("version_key"), version_key);
  EXPECT_EQ(last.at("signer", "d").as_string("signer"), kAlice);
  EXPECT_EQ(last.at("nonce", "d").as_uint64("nonce"), nonce);
  EXPECT_EQ(last.at("birth", "d").as_uint64("birth"), submission.era_birth);
  EXPECT_TRUE(last.at("signatureValid", "d").as_bool("signatureValid"));
}

class ChainSetWeights : public ::testing::TestWithParam<bool> {
protected:
  bool websocket() const { return GetParam(); }
  // A subnet no other test touches.
  std::uint16_t netuid(std::uint16_t base) const { return base + (websocket() ? 0 : 100); }
  std::unique_ptr<ch::RpcClient> client() const {
    return std::make_unique<ch::RpcClient>(url(websocket()), quick());
  }
};

std::string transport_name(const ::testing::TestParamInfo<bool> &info) {
  return info.param ? "WebSocket" : "Http";
}

TEST_P(ChainSetWeights, SignedSubmittedAndIncluded) {
  const std::uint16_t subnet = netuid(1);
  fake->command("next-index " + kAlice + " 5");
  auto chain = client();
  const ch::WeightsSubmission submission =
      ch::set_weights(*chain, alice(), subnet, {0, 1, 2}, {65535, 32768, 0}, 7,
                      ch::WaitFor::in_block, short_wait());
  EXPECT_EQ(submission.spec_version, 219u);
  EXPECT_EQ(submission.nonce, 5u);
  EXPECT_EQ(submission.version_key, 7u);
  expect_last_submitted(submission, subnet, {0, 1, 2}, {65535, 32768, 0}, 7, 5);
  // In the block the call returned, as the bytes the fake received.
  const std::string line = fake->command("submitted", "submitted ");
  const auto received = mycelium::parse_json(line.substr(std::string("submitted ").size()))
                            .as_array("submitted")
                            .back()
                            .at("hex", "submitted")
                            .as_string("hex");
  const auto block = chain->chain_get_block(submission.block_hash);
  ASSERT_TRUE(block);
  ASSERT_EQ(block->extrinsics.size(), 1u);
  EXPECT_EQ(hex(block->extrinsics[0]), received);
}

TEST_P(ChainSetWeights, VersionKeyFromTheChain) {
  const std::uint16_t subnet = netuid(3);
  fake->command("storage subtensorModule.weightsVersionKey [" + std::to_string(subnet) + "] 1234");
  fake->command("next-index " + kAlice + " 9");
  auto chain = client();
  const auto submission = ch::set_weights(*chain, alice(), subnet, {4}, {65535}, std::nullopt,
                                          ch::WaitFor::in_block, short_wait());
  EXPECT_EQ(submission.version_key, 1234u);
  expect_last_submitted(submission, subnet, {4}, {65535}, 1234, 9);

  // Below the subnet's key: refused before anything is sent.
  const std::size_t before = decoded().size();
  try {
    ch::set_weights(*chain, alice(), subnet, {4}, {65535}, 1000, ch::WaitFor::in_block,
                    short_wait());
    ADD_FAILURE() << "a version_key below WeightsVersionKey was submitted";
  } catch (const ch::SetWeightsRefused &e) {
    EXPECT_NE(std::string(e.what()).find("version_key 1000 is below subnet " +
                                         std::to_string(subnet) + "'s WeightsVersionKey 1234"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(decoded().size(), before);
}

TEST_P(ChainSetWeights, CommitRevealRefused) {
  const std::uint16_t subnet = netuid(2);
  fake->command("storage subtensorModule.commitRevealWeightsEnabled [" + std::to_string(subnet) +
                "] true");
  const std::size_t before = decoded().size();
  auto chain = client();
  try {
    ch::set_weights(*chain, alice(), subnet, {0, 1}, {1, 2}, 0, ch::WaitFor::in_block,
                    short_wait());
    ADD_FAILURE() << "set_weights submitted on a commit-reveal subnet";
  } catch (const ch::CommitRevealEnabled &e) {
    EXPECT_NE(std::string(e.what()).find(
                  "commit-reveal is enabled on subnet " + std::to_string(subnet) +
                  ": set_weights would be rejected; commit-reveal weights are not supported"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("SubtensorModule.set_weights on " + url(websocket()), 0),
              0u)
        << e.what();
  }
  EXPECT_EQ(decoded().size(), before);

  // Switched off again, the same call goes through.
  fake->command("storage subtensorModule.commitRevealWeightsEnabled [" + std::to_string(subnet) +
                "] false");
  fake->command("next-index " + kAlice + " 11");
  const auto submission = ch::set_weights(*chain, alice(), subnet, {0, 1}, {1, 2}, 0,
                                          ch::WaitFor::in_block, short_wait());
  expect_last_submitted(submission, subnet, {0, 1}, {1, 2}, 0, 11);
}

TEST_P(ChainSetWeights, WrongArgumentsRefusedBeforeAskingTheChain) {
  const std::uint64_t before = calls("chain_getBlockHash");
  auto chain = client();
  const auto expect_refused = [&](const std::vector<std::uint16_t> &dests,
                                  const std::vector<std::uint16_t> &weights,
                                  std::uint64_t era_period, const std::string &fragment) {
    ch::SetWeightsOptions options = short_wait();
    options.era_period = era_period;
    try {
      ch::set_weights(*chain, alice(), netuid(4), dests, weights, 0, ch::WaitFor::in_block,
                      options);
      ADD_FAILURE() << "accepted; expected: " << fragment;
    } catch (const mycelium::Error &e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_refused({0, 1}, {1}, 64, "2 dests but 1 weights");
  expect_refused({3, 3}, {1, 2}, 64, "uid 3 more than once");
  expect_refused({3}, {1}, 0, "era period 0");
  EXPECT_EQ(calls("chain_getBlockHash"), before);
}

TEST_P(ChainSetWeights, FinalizedWithTipAndShortEra) {
  const std::uint16_t subnet = netuid(5);
  fake->command("next-index " + kAlice + " 64");
  auto chain = client();
  ch::SetWeightsOptions options = short_wait();
  options.era_period = 5; // Fiber's; rounded up to 8
  options.tip = 1000000;
  const auto submission = ch::set_weights(*chain, alice(), subnet, {10, 20}, {100, 65535}, 0,
                                          ch::WaitFor::finalized, options);
  expect_last_submitted(submission, subnet, {10, 20}, {100, 65535}, 0, 64);
  const mycelium::JsonValue last = decoded().back();
  EXPECT_EQ(last.at("tip", "d").as_string("tip"), "1000000");
  EXPECT_EQ(last.at("era", "d").at("period", "era").as_uint64("period"), 8u);
  // Finalized: the finalized head is at or past the extrinsic's block.
  const auto included = chain->chain_get_header(submission.block_hash);
  const auto finalized = chain->chain_get_header(chain->chain_get_finalized_head());
  ASSERT_TRUE(included && finalized);
  EXPECT_GE(finalized->number, included->number);
}

TEST_P(ChainSetWeights, MetadataFetchedOncePerRuntime) {
  auto chain = client();
  ch::RuntimeCache cache;
  const std::uint64_t before = calls("state_getMetadata");
  for (int i = 0; i < 2; ++i) {
    fake->command("next-index " + kAlice + " " + std::to_string(20 + i));
    ch::set_weights(*chain, alice(), netuid(6), {1}, {1}, 0, ch::WaitFor::in_block,
                    short_wait(&cache));
  }
  EXPECT_EQ(calls("state_getMetadata"), before + 1);
  // Without a cache, every call fetches it.
  ch::set_weights(*chain, alice(), netuid(6), {1}, {1}, 0, ch::WaitFor::in_block, short_wait());
  EXPECT_EQ(calls("state_getMetadata"), before + 2);
}

INSTANTIATE_TEST_SUITE_P(Transports, ChainSetWeights, ::testing::Values(true, false),
                         transport_name);

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string dir = MYCELIUM_CHAIN_TESTS_DIR;
  const std::string expected_file = (std::filesystem::temp_directory_path() /
                                     ("set_weights_fake_" + std::to_string(::getpid()) + ".json"))
                                        .string();
  int result = 1;
  try {
    FakeChainProcess process(MYCELIUM_NODE, dir + "/fake_chain.mjs", expected_file, dir + "/tls",
                             {"--runtime", dir + "/fixtures/subtensor-metadata-v14.json"});
    fake = &process;
    result = RUN_ALL_TESTS();
    fake = nullptr;
  } catch (const std::exception &e) {
    std::cerr << "ChainSetWeights: " << e.what() << "\n";
  }
  std::filesystem::remove(expected_file);
  return result;
}
