// Chain URLs as an operator writes them (agent/chain/rpc_url.hpp).
#include "agent/chain/rpc_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

namespace ch = mycelium::chain;

TEST(ChainRpcUrl, SchemesPortsAndPaths) {
  ch::RpcUrl u = ch::parse_rpc_url("ws://127.0.0.1:9944");
  EXPECT_TRUE(u.websocket);
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 9944);
  EXPECT_EQ(u.path, "/");

  u = ch::parse_rpc_url("wss://subtensor.example:443/rpc?x=1");
  EXPECT_TRUE(u.websocket && u.tls);
  EXPECT_EQ(u.path, "/rpc?x=1");

  u = ch::parse_rpc_url("https://node.example");
  EXPECT_FALSE(u.websocket);
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);

  u = ch::parse_rpc_url("http://[::1]:9933?a");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9933);
  EXPECT_EQ(u.path, "/?a");
  EXPECT_EQ(ch::parse_rpc_url("http://h").port, 80);
}

TEST(ChainRpcUrl, RefusesWhatItCannotUse) {
  for (const char *url : {"", "127.0.0.1:9944", "ftp://h", "ws://", "ws://:9944",
                          "ws://h:", "ws://h:0", "ws://h:65536", "ws://h:99999999999", "ws://h:9a",
                          "ws://user@h", "ws://h/#frag", "ws://[::1", "ws://[::1]x"}) {
    EXPECT_THROW(ch::parse_rpc_url(url), std::invalid_argument) << url;
  }
  try {
    ch::parse_rpc_url("tcp://h:1");
    FAIL() << "no exception";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("chain url 'tcp://h:1': unsupported scheme 'tcp'"),
              std::string::npos)
        << e.what();
  }
}

} // namespace
