// Control-message freshness and the node id rule: the pure checks a replica and every SQL entry
// point rely on. The signed bytes themselves are checked against the independent generator in
// vectors_test.cpp.
#include "mycelium/error.hpp"
#include "mycelium/node_id.hpp"
#include "mycelium/replica_signing.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace mycelium;

namespace {

std::string refusal(std::int64_t issued, std::int64_t now, std::int64_t last) {
  try {
    check_control_time(issued, now, last);
    return "accepted";
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate::kReplicaRefused);
    return e.what();
  }
}

constexpr std::int64_t kNow = 1767225600000000;
constexpr std::int64_t kSecond = 1000000;

} // namespace

TEST(ControlTime, FreshAndNewerIsAccepted) {
  EXPECT_EQ(refusal(kNow, kNow, 0), "accepted");
  EXPECT_EQ(refusal(kNow - 299 * kSecond, kNow, 0), "accepted");
  EXPECT_EQ(refusal(kNow + 59 * kSecond, kNow, 0), "accepted");
  EXPECT_EQ(refusal(kNow, kNow, kNow - 1), "accepted");
}

TEST(ControlTime, TooOldIsRefused) {
  EXPECT_NE(refusal(kNow - 301 * kSecond, kNow, 0).find("too old"), std::string::npos);
}

TEST(ControlTime, TooFarAheadIsRefused) {
  EXPECT_NE(refusal(kNow + 61 * kSecond, kNow, 0).find("ahead"), std::string::npos);
}

TEST(ControlTime, NotNewerThanTheLastAcceptedIsAReplay) {
  EXPECT_NE(refusal(kNow, kNow, kNow).find("replay"), std::string::npos);
  EXPECT_NE(refusal(kNow - kSecond, kNow, kNow).find("replay"), std::string::npos);
}

TEST(ReplicaControlPayload, RefusesAnUnknownOp) {
  EXPECT_THROW(replica_control_payload("drop", "s", "a", "b", kNow, "null"), Error);
}

TEST(ReplicaControlPayload, EveryFieldChangesTheBytes) {
  const Bytes base = replica_control_payload("open", "s", "a", "b", kNow, "null");
  EXPECT_NE(base, replica_control_payload("close", "s", "a", "b", kNow, "null"));
  EXPECT_NE(base, replica_control_payload("open", "t", "a", "b", kNow, "null"));
  EXPECT_NE(base, replica_control_payload("open", "s", "b", "a", kNow, "null"));
  EXPECT_NE(base, replica_control_payload("open", "s", "a", "b", kNow + 1, "null"));
  EXPECT_NE(base, replica_control_payload("open", "s", "a", "b", kNow, "[\"a\"]"));
}

TEST(NodeId, TheRule) {
  for (const char *ok : {"a", "node-1", "Node_2.eu", "9"})
    EXPECT_TRUE(is_node_id(ok)) << ok;
  for (const char *bad : {"", "-a", ".a", "_a", "a b", "a/b", "a\n", "ä"})
    EXPECT_FALSE(is_node_id(bad)) << bad;
  EXPECT_TRUE(is_node_id(std::string(63, 'n')));
  EXPECT_FALSE(is_node_id(std::string(64, 'n')));
  try {
    check_node_id("bad id", "created_by");
    ADD_FAILURE() << "accepted";
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
    EXPECT_NE(std::string(e.what()).find("created_by \"bad id\""), std::string::npos);
  }
}
