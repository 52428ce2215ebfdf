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

TEST(ReplicaControlPayload, AnElectedShardsOpenIsItsOwnOp) {
  EXPECT_NE(replica_control_payload("open", "s", "a", "b", kNow, "null"),
            replica_control_payload("open-elected", "s", "a", "b", kNow, "null"));
}

namespace {
Hash hash_of(std::uint8_t fill) {
  Hash h;
  h.fill(fill);
  return h;
}
std::string as_text(const Bytes &b) {
  return std::string(b.begin(), b.end());
}
} // namespace

TEST(LinkPayload, TermZeroIsTheV1Link) {
  const std::string v1 = as_text(link_payload("s", 7, hash_of(1), "a", 0));
  EXPECT_EQ(v1.substr(4, 16), "mycelium/v1/link");
  // tag, shard, seq, hash, primary: five frames and nothing after.
  EXPECT_EQ(v1.size(), (4 + 16) + (4 + 1) + (4 + 8) + (4 + 32) + (4 + 1));
}

TEST(LinkPayload, ATermIsTheV2LinkWithTheTermLast) {
  const Bytes v2 = link_payload("s", 7, hash_of(1), "a", 0x0102030405060708ULL);
  const std::string text = as_text(v2);
  EXPECT_EQ(text.substr(4, 16), "mycelium/v2/link");
  ASSERT_EQ(v2.size(), (4 + 16) + (4 + 1) + (4 + 8) + (4 + 32) + (4 + 1) + (4 + 8));
  // The last frame: length 8, then the term big-endian.
  const Bytes tail(v2.end() - 12, v2.end());
  EXPECT_EQ(tail, (Bytes{0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}));
  // Everything but the tag and the term is the v1 link's.
  const std::string v1 = as_text(link_payload("s", 7, hash_of(1), "a", 0));
  EXPECT_EQ(text.substr(20, v1.size() - 20), v1.substr(20));
}

TEST(LinkPayload, EveryFieldChangesTheBytes) {
  const Bytes base = link_payload("s", 7, hash_of(1), "a", 2);
  EXPECT_NE(base, link_payload("t", 7, hash_of(1), "a", 2));
  EXPECT_NE(base, link_payload("s", 8, hash_of(1), "a", 2));
  EXPECT_NE(base, link_payload("s", 7, hash_of(2), "a", 2));
  EXPECT_NE(base, link_payload("s", 7, hash_of(1), "b", 2));
  EXPECT_NE(base, link_payload("s", 7, hash_of(1), "a", 3));
  EXPECT_NE(base, link_payload("s", 7, hash_of(1), "a", 0));
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
