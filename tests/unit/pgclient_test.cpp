// The project's one libpq client layer: how messages become one line, and what a connection
// that cannot be made says. (Connections that succeed are exercised by every integration
// suite; the forced UTF-8 encoding by tests/integration/cli_roundtrip.sh under
// PGCLIENTENCODING=LATIN1.)
#include "mycelium/pgclient/connect.hpp"
#include "mycelium/pgclient/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using mycelium::pgclient::connect;
using mycelium::pgclient::ConnectError;
using mycelium::pgclient::Error;
using mycelium::pgclient::one_line;

TEST(PgClient, OneLineJoinsTheNonBlankLinesOfAMessage) {
  EXPECT_EQ(one_line("ERROR:  permission denied for schema mycelium\n"),
            "ERROR:  permission denied for schema mycelium");
  EXPECT_EQ(one_line("connection to server failed: Connection refused\n\tIs the server running?\n"),
            "connection to server failed: Connection refused; Is the server running?");
  EXPECT_EQ(one_line("  a  \r\n\n  b\n"), "a; b");
  EXPECT_EQ(one_line(""), "");
  EXPECT_EQ(one_line("\n\n"), "");
}

TEST(PgClient, AConnectionThatCannotBeMadeThrowsOneLine) {
  try {
    // Port 1 on loopback: nothing listens there; no password or environment is consulted.
    connect("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2", "test");
    FAIL() << "connected to port 1";
  } catch (const ConnectError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(PgClient, ABadConninfoIsAConnectError) {
  EXPECT_THROW(connect("hots=127.0.0.1", "test"), ConnectError);
}

TEST(PgClient, AStatementErrorDescribesCodeMessageDetailAndHint) {
  const Error refused("42501", "permission denied for function put", "signer node-2\nis inactive",
                      "register it again");
  EXPECT_EQ(refused.describe("put"),
            "put rejected by the database (42501): permission denied for function put; signer "
            "node-2; is inactive; hint: register it again");
  EXPECT_EQ(Error("P0001", "no such shard").describe("get"),
            "get rejected by the database (P0001): no such shard");
}

TEST(PgClient, AClientSideErrorHasNoCodeAndSaysFailed) {
  const Error lost("", "server closed the connection unexpectedly\n");
  EXPECT_EQ(lost.sqlstate(), "");
  EXPECT_EQ(lost.describe("put"), "put failed: server closed the connection unexpectedly");
}

} // namespace
