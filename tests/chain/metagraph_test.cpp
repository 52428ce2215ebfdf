// read_metagraph (agent/chain/metagraph.hpp) against tests/chain/fake_chain.mjs, whose subnets
// polkadot-js encodes (tests/chain/fake_subnet.mjs registers NeuronInfoLite, AxonInfo and
// PrometheusInfo by hand): the reference vector byte for byte, four neurons (IPv4, IPv6, no
// axon, IPv4-mapped IPv6; one stake list above 2^64 rao; permits and scores) in both result
// forms, a given block, the empty subnet in both forms, and the failures: malformed answers in
// both forms, a neuron of another subnet, a runtime without the API, an unknown block.
//
// One fake chain serves the whole program, so ctest runs it as one test (ChainMetagraph).
#include "agent/chain/metagraph.hpp"
#include "fake_chain_process.hpp"

#include "mycelium/hex.hpp"
#include "mycelium/json_value.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace ch = mycelium::chain;
using ch::Bytes;

FakeChainProcess *fake = nullptr;

const std::string kAlice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const std::string kBob = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
const std::string kCharlie = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y";
const std::string kDave = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy";
const std::string kEve = "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw";
const std::string kFerdie = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";

std::string hex(const Bytes &bytes) {
  return "0x" + mycelium::to_hex(bytes);
}

std::string url_of(bool websocket) {
  return std::string(websocket ? "ws" : "http") + "://127.0.0.1:" + std::to_string(fake->port()) +
         "/";
}

ch::RpcClientOptions quick() {
  ch::RpcClientOptions options;
  options.call_timeout = std::chrono::milliseconds(3000);
  options.first_backoff = std::chrono::milliseconds(50);
  return options;
}

// Installs a subnet in the fake (fake_subnet.mjs describes the JSON) and returns the answer
// polkadot-js encoded for it, as hex.
std::string install_subnet(int netuid, const std::string &form, const std::string &neurons_json,
                           const std::string &malformed = "") {
  std::string json = "{\"netuid\": " + std::to_string(netuid) + ", \"form\": \"" + form + "\"";
  if (!malformed.empty())
    json += ", \"malformed\": \"" + malformed + "\"";
  json += ", \"neurons\": " + neurons_json + "}";
  // One command a line.
  std::replace(json.begin(), json.end(), '\n', ' ');
  const std::string line = fake->command("subnet " + json);
  return line.substr(std::string("ok subnet ").size());
}

// The state_calls the fake has received: [method, params, at].
std::vector<mycelium::JsonValue> state_calls() {
  const std::string line = fake->command("state-calls", "state-calls ");
  return mycelium::parse_json(line.substr(std::string("state-calls ").size()))
      .as_array("state-calls");
}

// The last state_call was get_neurons_lite for `netuid_param` at `block_hash`.
void expect_last_call(const std::string &netuid_param, const Bytes &block_hash) {
  const auto calls = state_calls();
  ASSERT_FALSE(calls.empty());
  const auto &last = calls.back().as_array("call");
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].as_string("method"), "NeuronInfoRuntimeApi_get_neurons_lite");
  EXPECT_EQ(last[1].as_string("params"), netuid_param);
  EXPECT_EQ(last[2].as_string("at"), hex(block_hash));
}

// What a neuron should read as: the inputs the fake was given, in Fiber's Node terms.
struct ExpectedNeuron {
  std::string hotkey;
  std::string coldkey;
  std::uint16_t uid;
  bool active;
  std::string ip;
  std::uint8_t ip_type;
  std::uint16_t port;
  std::uint8_t protocol;
  std::string stake_rao; // decimal
  double stake;
  std::uint16_t incentive;
  std::uint16_t trust;
  std::uint16_t validator_trust;
  std::uint64_t last_update;
  bool validator_permit;
  std::uint16_t pruning_score;
  std::uint64_t emission;
  std::size_t stake_entries;
};

// `json` with $alice .. $ferdie replaced by those accounts' SS58 addresses and $netuid by
// `netuid`.
std::string fill(std::string json, int netuid = 0) {
  const std::pair<const char *, std::string> names[] = {{"$alice", kAlice},
                                                        {"$bob", kBob},
                                                        {"$charlie", kCharlie},
                                                        {"$dave", kDave},
                                                        {"$eve", kEve},
                                                        {"$ferdie", kFerdie},
                                                        {"$netuid", std::to_string(netuid)}};
  for (const auto &[name, value] : names)
    for (std::size_t at = json.find(name); at != std::string::npos; at = json.find(name, at))
      json.replace(at, std::string(name).size(), value);
  return json;
}

// Four neurons for subnet `netuid`: a validator on IPv4, staked by two coldkeys for more than
// 2^64 rao; a miner on IPv6; one registered that never served an axon, inactive, without stake;
// one on an IPv4-mapped IPv6 address with a validator permit and zero stake.
std::string four_neurons_json(int netuid) {
  return fill(R"([
    {"hotkey": "$alice", "coldkey": "$bob", "uid": 0, "netuid": $netuid, "active": true,
     "axon_info": {"block": 1200, "version": 700, "ip": "1.2.3.4", "port": 8091, "ip_type": 4,
                   "protocol": 4},
     "prometheus_info": {"block": 1100, "version": 3, "ip": "1.2.3.4", "port": 7091,
                         "ip_type": 4},
     "stake": [["$bob", "4000000000000000000"], ["$charlie", "18000000000000000000"]],
     "emission": "123456789", "consensus": 100, "validator_trust": 65535, "dividends": 40000,
     "last_update": 99, "validator_permit": true, "pruning_score": 65535},
    {"hotkey": "$dave", "coldkey": "$eve", "uid": 1, "netuid": $netuid, "active": true,
     "axon_info": {"block": 1300, "version": 701, "ip": "2001:db8:85a3::8a2e:370:7334",
                   "port": 443, "ip_type": 6, "protocol": 4, "placeholder1": 1,
                   "placeholder2": 2},
     "stake": [["$eve", "1500000000"]], "incentive": 65535, "consensus": 65535, "trust": 32767,
     "last_update": "4294967296"},
    {"hotkey": "$ferdie", "coldkey": "$alice", "uid": 2, "netuid": $netuid},
    {"hotkey": "$charlie", "coldkey": "$alice", "uid": 3, "netuid": $netuid, "active": true,
     "axon_info": {"ip": "::ffff:10.0.0.1", "port": 9000, "ip_type": 6},
     "stake": [["$alice", "0"]], "validator_permit": true, "pruning_score": 300}
  ])",
              netuid);
}

// What each of the four should read as.
const std::vector<ExpectedNeuron> kFourNeurons = {
    {kAlice, kBob, 0, true, "1.2.3.4", 4, 8091, 4, "22000000000000000000", 22e9, 0, 0, 65535, 99,
     true, 65535, 123456789, 2},
    {kDave, kEve, 1, true, "2001:db8:85a3::8a2e:370:7334", 6, 443, 4, "1500000000", 1.5, 65535,
     32767, 0, 4294967296u, false, 0, 0, 1},
    {kFerdie, kAlice, 2, false, "0.0.0.0", 0, 0, 0, "0", 0.0, 0, 0, 0, 0, false, 0, 0, 0},
    {kCharlie, kAlice, 3, true, "::ffff:10.0.0.1", 6, 9000, 0, "0", 0.0, 0, 0, 0, 0, true, 300, 0,
     1},
};

void expect_neurons(const ch::Metagraph &m, int netuid) {
  ASSERT_EQ(m.neurons.size(), kFourNeurons.size());
  for (std::size_t i = 0; i < kFourNeurons.size(); ++i) {
    SCOPED_TRACE("neuron " + std::to_string(i));
    const ExpectedNeuron &want = kFourNeurons[i];
    const ch::Neuron &got = m.neurons[i];
    EXPECT_EQ(got.hotkey, want.hotkey);
    EXPECT_EQ(got.coldkey, want.coldkey);
    EXPECT_EQ(got.node_id, want.uid);
    EXPECT_EQ(got.incentive, want.incentive);
    EXPECT_EQ(got.netuid, netuid);
    EXPECT_EQ(got.stake, want.stake);
    EXPECT_EQ(ch::to_string(got.stake_rao), want.stake_rao);
    EXPECT_EQ(got.trust, want.trust / 65535.0);
    EXPECT_EQ(got.vtrust, want.validator_trust / 65535.0);
    EXPECT_EQ(got.last_updated, want.last_update);
    EXPECT_EQ(got.ip, want.ip);
    EXPECT_EQ(got.ip_type, want.ip_type);
    EXPECT_EQ(got.port, want.port);
    EXPECT_EQ(got.protocol, want.protocol);
    EXPECT_EQ(got.validator_permit, want.validator_permit);
    EXPECT_EQ(got.active, want.active);
    EXPECT_EQ(got.info.pruning_score, want.pruning_score);
    EXPECT_EQ(got.info.emission, want.emission);
    EXPECT_EQ(got.info.stake.size(), want.stake_entries);
  }
  // The fields only some neurons set.
  EXPECT_EQ(m.neurons[0].info.consensus, 100);
  EXPECT_EQ(m.neurons[0].info.dividends, 40000);
  EXPECT_EQ(m.neurons[0].info.axon_info.block, 1200u);
  EXPECT_EQ(m.neurons[0].info.axon_info.version, 700u);
  EXPECT_EQ(m.neurons[0].info.prometheus_info.block, 1100u);
  EXPECT_EQ(m.neurons[0].info.prometheus_info.version, 3u);
  EXPECT_EQ(m.neurons[0].info.prometheus_info.ip, ch::U128(0x01020304));
  EXPECT_EQ(m.neurons[0].info.prometheus_info.port, 7091);
  EXPECT_EQ(m.neurons[0].info.prometheus_info.ip_type, 4);
  EXPECT_EQ(m.neurons[1].info.consensus, 65535);
  EXPECT_EQ(m.neurons[1].info.axon_info.placeholder1, 1);
  EXPECT_EQ(m.neurons[1].info.axon_info.placeholder2, 2);
}

class ChainMetagraph : public ::testing::TestWithParam<bool> {
protected:
  std::string url() const { return url_of(GetParam()); }
  ch::RpcClient client_{url(), quick()};
};

std::string transport_name(const ::testing::TestParamInfo<bool> &info) {
  return info.param ? "WebSocket" : "Http";
}

// The Alice vector of the reference notes (one neuron, hotkey = coldkey = Alice, uid 3,
// netuid 1, axon 127.0.0.1:8091, stake 10^9 rao, ...), which the fake must encode byte for byte.
TEST_P(ChainMetagraph, FakeReproducesTheReferenceVector) {
  const std::string answer = install_subnet(1, "current", fill(R"([
    {"hotkey": "$alice", "coldkey": "$alice", "uid": 3, "netuid": 1, "active": true,
     "axon_info": {"block": 100, "version": 1, "ip": "2130706433", "port": 8091, "ip_type": 4,
                   "protocol": 4},
     "stake": [["$alice", "1000000000"]], "emission": 123456, "incentive": 65535,
     "consensus": 100, "last_update": 5000, "pruning_score": 65535}
  ])"));
  EXPECT_EQ(answer,
            "0x04d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27dd43593c715fdd31c"
            "61141abd04a99fd6822c8558854ccde39a5684e7a56da27d0c04016400000000000000010000000100"
            "007f0000000000000000000000009b1f0404000000000000000000000000000000000000000000000000"
            "00000000000000000004d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da2"
            "7d02286bee0002890700feff03009101000000214e00feff0300");
  const ch::Metagraph m = ch::read_metagraph(client_, 1);
  EXPECT_EQ(m.netuid, 1);
  EXPECT_EQ(m.form, ch::NeuronsLiteForm::current);
  ASSERT_EQ(m.neurons.size(), 1u);
  const ch::Neuron &n = m.neurons[0];
  EXPECT_EQ(n.hotkey, kAlice);
  EXPECT_EQ(n.coldkey, kAlice);
  EXPECT_EQ(n.node_id, 3);
  EXPECT_EQ(n.netuid, 1);
  EXPECT_EQ(n.incentive, 65535);
  EXPECT_EQ(n.stake, 1.0);
  EXPECT_EQ(n.ip, "127.0.0.1");
  EXPECT_EQ(n.port, 8091);
  EXPECT_EQ(n.last_updated, 5000u);
  EXPECT_EQ(n.info.emission, 123456u);
}

// Read at the best block: its hash first, then its header, then the neurons at that hash.
TEST_P(ChainMetagraph, FourNeuronsInBothForms) {
  for (const auto &[netuid, form] :
       {std::pair{7, ch::NeuronsLiteForm::current}, std::pair{8, ch::NeuronsLiteForm::wrapped}}) {
    SCOPED_TRACE(ch::to_string(form));
    install_subnet(netuid, form == ch::NeuronsLiteForm::current ? "current" : "wrapped",
                   four_neurons_json(netuid));
    const Bytes best = *client_.chain_get_block_hash();
    const ch::Metagraph m = ch::read_metagraph(client_, static_cast<std::uint16_t>(netuid));
    EXPECT_EQ(m.netuid, netuid);
    EXPECT_EQ(m.form, form);
    EXPECT_EQ(m.block_hash, best);
    EXPECT_EQ(m.block_number, client_.chain_get_header(best)->number);
    expect_last_call(netuid == 7 ? "0x0700" : "0x0800", best);
    expect_neurons(m, netuid);
  }
}

TEST_P(ChainMetagraph, AtAGivenBlock) {
  install_subnet(7, "current", four_neurons_json(7));
  const Bytes block1 = *client_.chain_get_block_hash(1);
  const ch::Metagraph m = ch::read_metagraph(client_, 7, block1);
  EXPECT_EQ(m.block_hash, block1);
  EXPECT_EQ(m.block_number, 1u);
  expect_last_call("0x0700", block1);
  expect_neurons(m, 7);
}

// polkadot-js encodes the empty subnet as 0x00 (current) and 0x0400 (wrapped): both read as no
// neurons, in their own form.
TEST_P(ChainMetagraph, EmptySubnetInBothForms) {
  EXPECT_EQ(install_subnet(30, "current", "[]"), "0x00");
  EXPECT_EQ(install_subnet(31, "wrapped", "[]"), "0x0400");
  const ch::Metagraph current = ch::read_metagraph(client_, 30);
  EXPECT_TRUE(current.neurons.empty());
  EXPECT_EQ(current.form, ch::NeuronsLiteForm::current);
  const ch::Metagraph wrapped = ch::read_metagraph(client_, 31);
  EXPECT_TRUE(wrapped.neurons.empty());
  EXPECT_EQ(wrapped.form, ch::NeuronsLiteForm::wrapped);
}

// The malformed answer to read_metagraph(20) throws ChainBadResponse whose message has the
// method, the URL, the netuid and block, and every fragment.
void expect_bad_response(ch::RpcClient &client, const std::string &url,
                         const std::vector<std::string> &fragments) {
  try {
    ch::read_metagraph(client, 20);
    ADD_FAILURE() << "no exception";
  } catch (const ch::ChainBadResponse &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("state_call NeuronInfoRuntimeApi_get_neurons_lite on " + url +
                           ": netuid 20 at block 3 (0x"),
              std::string::npos)
        << message;
    for (const std::string &fragment : fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message: " << message << "\nexpected: " << fragment;
  }
}

TEST_P(ChainMetagraph, MalformedAnswersNameMethodUrlAndField) {
  const std::string neurons = four_neurons_json(20);
  // The last neuron's pruning_score (300) takes two bytes: the truncated answer has one.
  install_subnet(20, "current", neurons, "truncated");
  expect_bad_response(client_, url(),
                      {"as Vec<NeuronInfoLite>: neurons[3].pruning_score: truncated: needs 2 "
                       "bytes, 1 left"});
  install_subnet(20, "current", neurons, "trailing");
  expect_bad_response(client_, url(),
                      {"as Vec<NeuronInfoLite>: 1 unexpected byte after the value"});
  install_subnet(20, "current", neurons, "bad-bool");
  expect_bad_response(client_, url(),
                      {"as Vec<NeuronInfoLite>: neurons[3].active: invalid bool byte 2"});

  // Wrapped: a length prefix of two bytes, then the list. Cut short or lengthened, the prefix
  // no longer matches; a bad bool inside is found at its offset in the wrapped bytes.
  std::size_t size = (install_subnet(20, "wrapped", neurons, "truncated").size() - 2) / 2;
  expect_bad_response(client_, url(),
                      {"as Vec<u8> wrapping Vec<NeuronInfoLite>: its length prefix says " +
                       std::to_string(size - 1) + " bytes, but " + std::to_string(size - 2) +
                       " bytes follow"});
  size = (install_subnet(20, "wrapped", neurons, "trailing").size() - 2) / 2;
  expect_bad_response(client_, url(),
                      {"as Vec<u8> wrapping Vec<NeuronInfoLite>: its length prefix says " +
                       std::to_string(size - 3) + " bytes, but " + std::to_string(size - 2) +
                       " bytes follow"});
  install_subnet(20, "wrapped", neurons, "bad-bool");
  expect_bad_response(client_, url(),
                      {"as Vec<u8> wrapping Vec<NeuronInfoLite> (offsets within the wrapped "
                       "bytes, which start at byte 2): neurons[3].active: invalid bool byte 2"});
}

TEST_P(ChainMetagraph, NeuronOfAnotherSubnetIsRefused) {
  install_subnet(40, "current", fill(R"([{"hotkey": "$alice", "coldkey": "$bob", "netuid": 41}])"));
  try {
    ch::read_metagraph(client_, 40);
    FAIL() << "no exception";
  } catch (const ch::ChainBadResponse &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("state_call NeuronInfoRuntimeApi_get_neurons_lite on " + url() +
                           ": netuid 40 at block 3"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("neurons[0].netuid is 41, not the subnet asked for"), std::string::npos)
        << message;
  }
}

// A runtime without NeuronInfoRuntimeApi answers state_call with an error, as the fake does for
// a netuid it has no subnet for.
TEST_P(ChainMetagraph, RuntimeWithoutTheApi) {
  try {
    ch::read_metagraph(client_, 99);
    FAIL() << "no exception";
  } catch (const ch::ChainRpcError &e) {
    EXPECT_NE(std::string(e.what()).find("state_call on " + url()), std::string::npos) << e.what();
    EXPECT_NE(e.rpc_message().find("NeuronInfoRuntimeApi_get_neurons_lite"), std::string::npos);
  }
}

TEST_P(ChainMetagraph, UnknownBlockIsNamed) {
  try {
    ch::read_metagraph(client_, 7, Bytes(32, 0xee));
    FAIL() << "no exception";
  } catch (const ch::ChainError &e) {
    EXPECT_NE(std::string(e.what()).find("chain_getHeader on " + url() +
                                         ": the node has no block 0x" + std::string(64, 'e')),
              std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, ChainMetagraph, ::testing::Values(true, false),
                         transport_name);

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return run_with_fake_chain("chain metagraph tests", MYCELIUM_NODE, MYCELIUM_CHAIN_TESTS_DIR,
                             [](FakeChainProcess &process, const std::string &) {
                               fake = &process;
                               const int status = RUN_ALL_TESTS();
                               fake = nullptr;
                               return status;
                             });
}
