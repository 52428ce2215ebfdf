// The Substrate RPC client (agent/chain) against tests/chain/fake_chain.mjs, whose answers
// polkadot-js encodes. Every method over a WebSocket and over HTTP, compared with what the fake
// wrote to its expected-values file; then the failures: timeouts, dropped connections, a
// restarted node, an unreachable URL, JSON-RPC errors and malformed answers.
//
// One fake chain serves the whole program (node takes about two seconds to load polkadot-js),
// so ctest runs the program as one test. Each test leaves the fake as it found it.
#include "agent/chain/rpc_client.hpp"
#include "fake_chain_process.hpp"

#include "mycelium/hex.hpp"
#include "mycelium/json_value.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace {

namespace ch = mycelium::chain;
using ch::Bytes;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

FakeChainProcess *fake = nullptr;
mycelium::JsonValue *expected = nullptr;

Bytes hex(const std::string &text) {
  if (text.compare(0, 2, "0x") != 0)
    throw std::runtime_error("not 0x hex: " + text);
  return mycelium::from_hex(std::string_view(text).substr(2), (text.size() - 2) / 2, "hex");
}

std::string hex(const Bytes &bytes) {
  return "0x" + mycelium::to_hex(bytes);
}

const mycelium::JsonValue &want(std::string_view key) {
  return expected->at(key, "expected");
}

std::string url_of(bool websocket, int port) {
  return std::string(websocket ? "ws" : "http") + "://127.0.0.1:" + std::to_string(port) + "/";
}

// Options for tests: short timeouts and backoffs, so that failures take little time.
ch::RpcClientOptions quick() {
  ch::RpcClientOptions options;
  options.call_timeout = milliseconds(3000);
  options.first_backoff = milliseconds(50);
  options.poll_interval = milliseconds(50);
  return options;
}

// A TCP port on 127.0.0.1 nothing listens on (it was free a moment ago).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr *>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// What the fake has received through author_submitExtrinsic and author_submitAndWatchExtrinsic.
std::vector<mycelium::JsonValue> submitted() {
  const std::string line = fake->command("submitted", "submitted ");
  return mycelium::parse_json(line.substr(std::string("submitted ").size())).as_array("submitted");
}

class ChainRpc : public ::testing::TestWithParam<bool> {
protected:
  bool websocket() const { return GetParam(); }
  std::string url() const { return url_of(websocket(), fake->port()); }
  std::unique_ptr<ch::RpcClient> client(ch::RpcClientOptions options = quick()) const {
    return std::make_unique<ch::RpcClient>(url(), options);
  }
};

std::string transport_name(const ::testing::TestParamInfo<bool> &info) {
  return info.param ? "WebSocket" : "Http";
}

TEST_P(ChainRpc, BlockHashesAndHeaders) {
  auto c = client();
  const auto &blocks = want("blocks").as_array("blocks");
  for (const mycelium::JsonValue &block : blocks) {
    const std::uint64_t number = block.at("number", "block").as_uint64("number");
    const auto hash = c->chain_get_block_hash(number);
    ASSERT_TRUE(hash) << "block " << number;
    EXPECT_EQ(hex(*hash), block.at("hash", "block").as_string("hash"));
    const auto header = c->chain_get_header(*hash);
    ASSERT_TRUE(header);
    const mycelium::JsonValue &h = block.at("header", "block");
    EXPECT_EQ(header->number, number);
    EXPECT_EQ(hex(header->parent_hash), h.at("parentHash", "header").as_string("parentHash"));
    EXPECT_EQ(hex(header->state_root), h.at("stateRoot", "header").as_string("stateRoot"));
    EXPECT_EQ(hex(header->extrinsics_root),
              h.at("extrinsicsRoot", "header").as_string("extrinsicsRoot"));
  }
  // Without arguments: the best block, at least the last one the fake had at its start (tests
  // that submit extrinsics add blocks).
  const auto best = c->chain_get_block_hash();
  const auto best_header = c->chain_get_header();
  ASSERT_TRUE(best && best_header);
  EXPECT_GE(best_header->number, blocks.size() - 1);
  EXPECT_EQ(*c->chain_get_block_hash(best_header->number), *best);
  EXPECT_FALSE(c->chain_get_block_hash(1000000));
  EXPECT_FALSE(c->chain_get_header(Bytes(32, 0xee)));
  // The finalized head: block 2 at the start, later ones once tests have submitted extrinsics.
  const Bytes finalized = c->chain_get_finalized_head();
  const auto finalized_header = c->chain_get_header(finalized);
  ASSERT_TRUE(finalized_header);
  const Bytes first_finalized = hex(want("finalized").as_string("finalized"));
  EXPECT_GE(finalized_header->number, c->chain_get_header(first_finalized)->number);
  EXPECT_EQ(*c->chain_get_block_hash(finalized_header->number), finalized);
}

TEST_P(ChainRpc, RuntimeVersion) {
  const ch::RuntimeVersion v = client()->state_get_runtime_version();
  const mycelium::JsonValue &w = want("runtimeVersion");
  EXPECT_EQ(v.spec_name, w.at("specName", "v").as_string("specName"));
  EXPECT_EQ(v.impl_name, w.at("implName", "v").as_string("implName"));
  EXPECT_EQ(v.authoring_version, w.at("authoringVersion", "v").as_uint64("authoringVersion"));
  EXPECT_EQ(v.spec_version, w.at("specVersion", "v").as_uint64("specVersion"));
  EXPECT_EQ(v.impl_version, w.at("implVersion", "v").as_uint64("implVersion"));
  EXPECT_EQ(v.transaction_version, w.at("transactionVersion", "v").as_uint64("transactionVersion"));
  ASSERT_TRUE(v.state_version);
  EXPECT_EQ(*v.state_version, w.at("stateVersion", "v").as_uint64("stateVersion"));
  const auto &apis = w.at("apis", "v").as_array("apis");
  ASSERT_EQ(v.apis.size(), apis.size());
  for (std::size_t i = 0; i < apis.size(); ++i) {
    EXPECT_EQ(hex(v.apis[i].first), apis[i].as_array("api")[0].as_string("id"));
    EXPECT_EQ(v.apis[i].second, apis[i].as_array("api")[1].as_uint64("version"));
  }
}

TEST_P(ChainRpc, MetadataLargerThanAFrame) {
  auto c = client();
  const Bytes metadata = c->state_get_metadata();
  EXPECT_EQ(hex(metadata), want("metadata").as_string("metadata"));
  ASSERT_GT(metadata.size(), 100000u);
  EXPECT_EQ(std::string(metadata.begin(), metadata.begin() + 4), "meta");
  // At a given block, and in many small WebSocket frames.
  const Bytes genesis = hex(want("blocks").as_array("blocks")[0].at("hash", "b").as_string("h"));
  fake->command("fragment 1000");
  const Bytes fragmented = c->state_get_metadata(genesis);
  fake->command("fragment 0");
  EXPECT_EQ(fragmented, metadata);
}

TEST_P(ChainRpc, AnswerLargerThanTheLimitIsRefused) {
  ch::RpcClientOptions options = quick();
  options.max_response_bytes = 10000;
  auto c = client(options);
  try {
    c->state_get_metadata();
    FAIL() << "no exception";
  } catch (const ch::ChainBadResponse &e) {
    EXPECT_NE(std::string(e.what()).find("larger than 10000 bytes"), std::string::npos) << e.what();
  }
  // A small answer still comes through (on a new connection for a WebSocket).
  EXPECT_TRUE(c->chain_get_header());
}

TEST_P(ChainRpc, Storage) {
  auto c = client();
  for (const mycelium::JsonValue &entry : want("storage").as_array("storage")) {
    const auto value = c->state_get_storage(hex(entry.at("key", "e").as_string("key")));
    ASSERT_TRUE(value);
    EXPECT_EQ(hex(*value), entry.at("value", "e").as_string("value"));
  }
  EXPECT_FALSE(c->state_get_storage(hex(want("absentKey").as_string("absentKey"))));
  const Bytes block1 = hex(want("blocks").as_array("blocks")[1].at("hash", "b").as_string("h"));
  const auto &first = want("storage").as_array("storage")[0];
  EXPECT_TRUE(c->state_get_storage(hex(first.at("key", "e").as_string("key")), block1));
  try {
    c->state_get_storage(hex(first.at("key", "e").as_string("key")), Bytes(32, 0xee));
    FAIL() << "no exception";
  } catch (const ch::ChainRpcError &e) {
    EXPECT_EQ(e.code(), 4003);
  }
  EXPECT_THROW(c->state_get_storage(Bytes{1}, Bytes(31, 0)), std::invalid_argument);
}

TEST_P(ChainRpc, AccountNextIndex) {
  auto c = client();
  const mycelium::JsonValue &account = want("account");
  EXPECT_EQ(c->system_account_next_index(account.at("ss58", "a").as_string("ss58")),
            account.at("nextIndex", "a").as_uint64("nextIndex"));
  EXPECT_EQ(c->system_account_next_index("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"), 0u);
  EXPECT_THROW(c->system_account_next_index("not an address"), ch::ChainRpcError);
}

TEST_P(ChainRpc, StateCall) {
  auto c = client();
  fake->command("state-call NeuronInfoRuntimeApi_get_neurons_lite 0x0100 0x0c0a0b0c");
  EXPECT_EQ(c->state_call("NeuronInfoRuntimeApi_get_neurons_lite", Bytes{0x01, 0x00}),
            (Bytes{0x0c, 0x0a, 0x0b, 0x0c}));
  const Bytes best = *c->chain_get_block_hash();
  EXPECT_EQ(c->state_call("NeuronInfoRuntimeApi_get_neurons_lite", Bytes{0x01, 0x00}, best),
            (Bytes{0x0c, 0x0a, 0x0b, 0x0c}));
  try {
    c->state_call("NoSuchApi_method", Bytes{});
    FAIL() << "no exception";
  } catch (const ch::ChainRpcError &e) {
    EXPECT_EQ(e.code(), -32000);
    EXPECT_NE(e.rpc_message().find("NoSuchApi_method"), std::string::npos);
  }
}

TEST_P(ChainRpc, SubmitExtrinsic) {
  auto c = client();
  const Bytes extrinsic{0x10, 0x04, 0x01,
                        0x02, 0x03, websocket() ? std::uint8_t{1} : std::uint8_t{2}};
  const Bytes hash = c->author_submit_extrinsic(extrinsic);
  const auto received = submitted();
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received.back().at("hex", "s").as_string("hex"), hex(extrinsic));
  EXPECT_EQ(hex(hash), received.back().at("hash", "s").as_string("hash"));
}

TEST_P(ChainRpc, SubmitAndWatchUntilInBlockAndFinalized) {
  auto c = client();
  for (const ch::WaitFor wait_for : {ch::WaitFor::in_block, ch::WaitFor::finalized}) {
    const Bytes extrinsic{0x0c, 0x09, static_cast<std::uint8_t>(websocket()),
                          static_cast<std::uint8_t>(wait_for)};
    const ch::Inclusion inclusion = c->submit_and_watch(extrinsic, wait_for, milliseconds(5000));
    const auto received = submitted();
    EXPECT_EQ(hex(inclusion.extrinsic_hash), received.back().at("hash", "s").as_string("hash"));
    const auto block = c->chain_get_block(inclusion.block_hash);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->extrinsics, std::vector<Bytes>{extrinsic});
    if (wait_for == ch::WaitFor::finalized) {
      const auto finalized = c->chain_get_header(c->chain_get_finalized_head());
      ASSERT_TRUE(finalized);
      EXPECT_GE(finalized->number, block->header.number);
    }
  }
}

TEST(ChainRpcWebSocket, WatchFollowsBlocksWhenTheConnectionDrops) {
  ch::RpcClient c(url_of(true, fake->port()), quick());
  fake->command("drop-after author_submitAndWatchExtrinsic");
  const Bytes extrinsic{0x0c, 0x44, 0x55, 0x66};
  const ch::Inclusion inclusion =
      c.submit_and_watch(extrinsic, ch::WaitFor::finalized, milliseconds(5000));
  const auto block = c.chain_get_block(inclusion.block_hash);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->extrinsics, std::vector<Bytes>{extrinsic});
}

TEST(ChainRpcWebSocket, WatchEndsWithTheNodesVerdict) {
  ch::RpcClient c(url_of(true, fake->port()), quick());
  fake->command("watch-status invalid");
  try {
    c.submit_and_watch(Bytes{0x04, 0x66}, ch::WaitFor::in_block, milliseconds(5000));
    FAIL() << "no exception";
  } catch (const ch::ExtrinsicNotIncluded &e) {
    EXPECT_NE(std::string(e.what()).find("invalid"), std::string::npos) << e.what();
  }
}

TEST_P(ChainRpc, TimeoutNamesMethodAndUrl) {
  ch::RpcClientOptions options = quick();
  options.call_timeout = milliseconds(500);
  auto c = client(options);
  ASSERT_TRUE(c->chain_get_header()); // connected
  fake->command("hang on");
  const auto start = Clock::now();
  try {
    c->chain_get_header();
    ADD_FAILURE() << "no exception";
  } catch (const ch::ChainTimeout &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("chain_getHeader on " + url()), std::string::npos) << message;
    EXPECT_NE(message.find("500 ms"), std::string::npos) << message;
  }
  const auto took = Clock::now() - start;
  fake->command("hang off");
  EXPECT_GE(took, milliseconds(500));
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_TRUE(c->chain_get_header()); // the next call works again
}

TEST_P(ChainRpc, DroppedConnectionIsRetriedForReads) {
  auto c = client();
  ASSERT_TRUE(c->chain_get_header());
  // The connection drops while the request waits for its answer: read again, on a new one.
  fake->command("drop-next 1");
  EXPECT_TRUE(c->chain_get_header());
  if (websocket()) {
    // Dropped between calls: the next call reconnects.
    fake->command("drop");
    EXPECT_TRUE(c->chain_get_header());
  }
}

TEST_P(ChainRpc, SubmissionIsNeverSentTwice) {
  auto c = client();
  ASSERT_TRUE(c->chain_get_header());
  const std::size_t before = submitted().size();
  fake->command("drop-next 1");
  EXPECT_THROW(c->author_submit_extrinsic(Bytes{0x08, 0x07, 0x07}), ch::ChainConnectionLost);
  // A retry would have gone through (the fake drops one request only).
  EXPECT_EQ(submitted().size(), before);
  EXPECT_TRUE(c->chain_get_header());
}

TEST_P(ChainRpc, NodeRestartIsRiddenOutWithBackoff) {
  ch::RpcClientOptions options = quick();
  options.attempts = 8;
  options.first_backoff = milliseconds(100);
  auto c = client(options);
  ASSERT_TRUE(c->chain_get_header());
  fake->command("restart 500");
  // Down for 500 ms: tries at 0, 100, 300, 700 ms; the last finds it back.
  const auto header = c->chain_get_header();
  EXPECT_TRUE(header);
  fake->wait_for("listening again", milliseconds(5000));
}

TEST_P(ChainRpc, UnreachableUrlIsNamed) {
  ch::RpcClientOptions options = quick();
  options.attempts = 2;
  const std::string url = url_of(websocket(), closed_port());
  ch::RpcClient c(url, options);
  try {
    c.chain_get_header();
    FAIL() << "no exception";
  } catch (const ch::ChainUnreachable &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("chain_getHeader on " + url + ": cannot connect"), std::string::npos)
        << message;
    EXPECT_NE(message.find("gave up after 2 attempts"), std::string::npos) << message;
  }
  // A submission is tried again too when it was never sent.
  EXPECT_THROW(c.author_submit_extrinsic(Bytes{0x04, 0x00}), ch::ChainUnreachable);
}

TEST_P(ChainRpc, RpcErrorIsTyped) {
  auto c = client();
  fake->command("error chain_getHeader -32042 the node is unhappy");
  try {
    c->chain_get_header();
    FAIL() << "no exception";
  } catch (const ch::ChainRpcError &e) {
    EXPECT_EQ(e.code(), -32042);
    EXPECT_EQ(e.rpc_message(), "the node is unhappy");
    EXPECT_NE(std::string(e.what()).find("chain_getHeader on " + url()), std::string::npos);
  }
  EXPECT_TRUE(c->chain_get_header());
}

TEST_P(ChainRpc, MalformedAnswersAreRefused) {
  auto c = client();
  for (const char *kind : {"text", "no-result", "bad-hex"}) {
    fake->command(std::string("malformed chain_getBlockHash ") + kind);
    try {
      c->chain_get_block_hash(1);
      ADD_FAILURE() << kind << ": no exception";
    } catch (const ch::ChainBadResponse &e) {
      EXPECT_NE(std::string(e.what()).find("chain_getBlockHash on " + url()), std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(c->chain_get_block_hash(1));
}

TEST(ChainRpcWebSocket, AnswersAreMatchedById) {
  ch::RpcClient c(url_of(true, fake->port()), quick());
  const std::string block1 = want("blocks").as_array("blocks")[1].at("hash", "b").as_string("h");
  // First an answer with another id (0xdeadbeef), then the real one.
  fake->command("malformed chain_getBlockHash decoy");
  EXPECT_EQ(hex(*c.chain_get_block_hash(1)), block1);
}

TEST(ChainRpcWebSocket, ThreadsShareOneClient) {
  ch::RpcClient c(url_of(true, fake->port()), quick());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (c.chain_get_block_hash(static_cast<std::uint64_t>(i % 4)))
          ++good;
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(good.load(), 100);
}

// wss:// and https:// to the fake's TLS port, whose self-signed certificate (for 127.0.0.1) the
// client trusts through ca_file, and refuses without it.
TEST(ChainRpcTls, TrustedCertificate) {
  ch::RpcClientOptions options = quick();
  options.ca_file = std::string(MYCELIUM_CHAIN_TESTS_DIR) + "/tls/test-only-cert.pem";
  for (const char *scheme : {"wss", "https"}) {
    ch::RpcClient c(std::string(scheme) + "://127.0.0.1:" + std::to_string(fake->tls_port()),
                    options);
    EXPECT_TRUE(c.chain_get_header()) << scheme;
    EXPECT_EQ(hex(c.state_get_metadata()), want("metadata").as_string("metadata")) << scheme;
  }
}

TEST(ChainRpcTls, UntrustedCertificateIsRefused) {
  ch::RpcClientOptions options = quick();
  options.attempts = 1;
  for (const char *scheme : {"wss", "https"}) {
    const std::string url =
        std::string(scheme) + "://127.0.0.1:" + std::to_string(fake->tls_port());
    ch::RpcClient c(url, options);
    try {
      c.chain_get_header();
      ADD_FAILURE() << scheme << ": no exception";
    } catch (const ch::ChainUnreachable &e) {
      EXPECT_NE(std::string(e.what()).find("chain_getHeader on " + url + ": cannot connect"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, ChainRpc, ::testing::Values(true, false), transport_name);

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return run_with_fake_chain("chain RPC tests", MYCELIUM_NODE, MYCELIUM_CHAIN_TESTS_DIR,
                             [](FakeChainProcess &process, const std::string &expected_text) {
                               mycelium::JsonValue values = mycelium::parse_json(expected_text);
                               fake = &process;
                               expected = &values;
                               const int status = RUN_ALL_TESTS();
                               fake = nullptr;
                               expected = nullptr;
                               return status;
                             });
}
