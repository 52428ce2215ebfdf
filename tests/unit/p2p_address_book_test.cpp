// Peer discovery (core/include/mycelium/p2p/address_book.hpp): signed address records, the
// peer table's preference for validators, solicited replies only, per-peer request limits.
#include "mycelium/error.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/p2p/address_book.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace {

using namespace mycelium;
using namespace mycelium::p2p;

constexpr std::int64_t kNow = 1700000000000;
constexpr std::int64_t kHour = 3600 * 1000;

SecretKey key_from(std::uint8_t fill) {
  std::uint8_t seed[kSeedSize];
  for (std::size_t i = 0; i < kSeedSize; ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return SecretKey::from_seed(seed);
}

TEST(AddressBook, SigningBytesByteByByte) {
  AddressRecord r;
  r.node_id = "n1";
  r.host = "h";
  r.port = 7001;
  r.expires_at_ms = 1700000000000;
  // clang-format off
  EXPECT_EQ(to_hex(address_signing_bytes(r)),
            "00000013" "6d7963656c69756d2f76312f61646472657373" // "mycelium/v1/address"
            "00000002" "6e31"                                   // node_id "n1"
            "00000001" "68"                                     // host "h"
            "00000008" "0000000000001b59"                       // port 7001
            "00000008" "0000018bcfe56800");                     // expires_at_ms
  // clang-format on
}

class AddressBookTest : public ::testing::Test {
protected:
  AddressBookTest() {
    add("self", 1, true, true);
    add("v1", 2, true, true);
    add("v2", 3, true, true);
    add("v3", 4, true, true);
    add("m1", 5, true, false);
    add("m2", 6, true, false);
    add("m3", 7, true, false);
    add("m4", 8, true, false);
    add("gone", 9, false, false);
  }

  void add(const std::string &id, std::uint8_t fill, bool active, bool validator) {
    keys_.emplace(id, std::make_unique<SecretKey>(key_from(fill)));
    directory_.set(id, NodeInfo{keys_.at(id)->public_key(), active, validator, 10});
  }

  AddressRecord record(const std::string &id, std::int64_t expires = kNow + kHour,
                       std::uint16_t port = 7001) const {
    AddressRecord r;
    r.node_id = id;
    r.host = id + ".example.net";
    r.port = port;
    r.expires_at_ms = expires;
    sign_address(r, *keys_.at(id));
    return r;
  }

  AddressBookLimits limits(std::size_t target = 32) const {
    AddressBookLimits l;
    l.target = target;
    l.reply_timeout_ms = 1000;
    l.min_request_interval_ms = 5000;
    l.max_records_per_reply = 4;
    return l;
  }

  NodeDirectory directory_;
  std::map<std::string, std::unique_ptr<SecretKey>> keys_;
};

TEST_F(AddressBookTest, SignatureCoversEveryField) {
  const AddressRecord good = record("v1");
  EXPECT_TRUE(verify_address(good, keys_.at("v1")->public_key()));
  EXPECT_FALSE(verify_address(good, keys_.at("v2")->public_key()));
  std::vector<AddressRecord> tampered(4, good);
  tampered[0].node_id = "v2";
  tampered[1].host = "evil.example.net";
  tampered[2].port = 7002;
  tampered[3].expires_at_ms += 1;
  AddressBook book(directory_, "self", limits());
  for (const AddressRecord &t : tampered)
    EXPECT_EQ(book.add(t, kNow), RecordResult::BadSignature) << t.node_id << " " << t.host;
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(book.add(good, kNow), RecordResult::Added);
}

TEST_F(AddressBookTest, RecordChecks) {
  AddressBook book(directory_, "self", limits());
  EXPECT_EQ(book.add(record("self"), kNow), RecordResult::Self);
  EXPECT_EQ(book.add(record("gone"), kNow), RecordResult::InactiveNode);
  AddressRecord stranger = record("v1");
  stranger.node_id = "stranger";
  EXPECT_EQ(book.add(stranger, kNow), RecordResult::UnknownNode);
  EXPECT_EQ(book.add(record("v1", kNow), kNow), RecordResult::Expired);
  EXPECT_EQ(book.add(record("v1", kNow + 24 * kHour + 1), kNow), RecordResult::TooFarAhead);
  EXPECT_EQ(book.add(record("v1", kNow + 1, 0), kNow), RecordResult::Malformed);
  AddressRecord long_host = record("v1");
  long_host.host.assign(254, 'x');
  EXPECT_EQ(book.add(long_host, kNow), RecordResult::Malformed);
  EXPECT_EQ(book.size(), 0u);
  EXPECT_STREQ(to_string(RecordResult::TooFarAhead), "too-far-ahead");
}

TEST_F(AddressBookTest, LaterRecordsReplaceEarlierOnes) {
  AddressBook book(directory_, "self", limits());
  EXPECT_EQ(book.add(record("v1", kNow + kHour, 7001), kNow), RecordResult::Added);
  EXPECT_EQ(book.add(record("v1", kNow + kHour, 7001), kNow), RecordResult::Unchanged);
  EXPECT_EQ(book.add(record("v1", kNow + kHour / 2, 7009), kNow), RecordResult::Unchanged)
      << "an older record (earlier expiry) cannot roll the address back";
  EXPECT_EQ(book.add(record("v1", kNow + 2 * kHour, 7002), kNow), RecordResult::Refreshed);
  EXPECT_EQ(book.find("v1", kNow)->port, 7002);
  EXPECT_EQ(book.size(), 1u);
}

TEST_F(AddressBookTest, RecordsExpire) {
  AddressBook book(directory_, "self", limits(2));
  book.add(record("v1", kNow + 1000), kNow);
  book.add(record("v2", kNow + 2000), kNow);
  EXPECT_FALSE(book.wants_more(kNow));
  EXPECT_TRUE(book.find("v1", kNow + 999).has_value());
  EXPECT_FALSE(book.find("v1", kNow + 1000).has_value()) << "expiry is exclusive";
  EXPECT_TRUE(book.wants_more(kNow + 1000));
  EXPECT_EQ(book.records(kNow + 1000).size(), 1u);
  book.expire(kNow + 1000);
  EXPECT_EQ(book.size(), 1u);
  // A full table makes room by dropping expired records first.
  book.add(record("m1", kNow + kHour), kNow + 1500);
  EXPECT_EQ(book.add(record("m2", kNow + kHour), kNow + 2500), RecordResult::Added);
  EXPECT_FALSE(book.find("v2", kNow + 2500).has_value());
}

TEST_F(AddressBookTest, PrefersValidatorsThenTheMostRecentlySeen) {
  AddressBook book(directory_, "self", limits(2));
  EXPECT_EQ(book.add(record("m1"), kNow + 1), RecordResult::Added);
  EXPECT_EQ(book.add(record("m2"), kNow + 2), RecordResult::Added);
  EXPECT_EQ(book.add(record("v1"), kNow + 3), RecordResult::Added) << "m1 goes: oldest miner";
  EXPECT_FALSE(book.find("m1", kNow + 3).has_value());
  EXPECT_EQ(book.add(record("m3"), kNow + 4), RecordResult::Added) << "m2 goes: m3 is newer";
  EXPECT_FALSE(book.find("m2", kNow + 4).has_value());
  EXPECT_EQ(book.add(record("v2"), kNow + 5), RecordResult::Added) << "m3 goes: v2 validates";
  EXPECT_EQ(book.add(record("m4"), kNow + 6), RecordResult::Full) << "two validators held";
  std::vector<std::string> order;
  for (const AddressRecord &r : book.records(kNow + 6))
    order.push_back(r.node_id);
  EXPECT_EQ(order, (std::vector<std::string>{"v2", "v1"}));
  book.touch("v1", kNow + 7); // a successful connection
  EXPECT_EQ(book.records(kNow + 7).front().node_id, "v1");
  EXPECT_EQ(book.add(record("v3"), kNow + 8), RecordResult::Added) << "v2 is now the oldest";
  EXPECT_FALSE(book.find("v2", kNow + 8).has_value());
  book.remove("v1");
  EXPECT_EQ(book.size(), 1u);
}

TEST_F(AddressBookTest, UnsolicitedRepliesAreRefused) {
  AddressBook book(directory_, "self", limits());
  const std::vector<AddressRecord> records{record("v1"), record("m1")};
  EXPECT_EQ(book.accept_reply("v2", 7, records, kNow).status, ReplyStatus::Unsolicited);
  EXPECT_EQ(book.size(), 0u) << "nothing from an unsolicited reply is taken";

  ASSERT_TRUE(book.expect_reply("v2", 7, kNow));
  EXPECT_EQ(book.accept_reply("v3", 7, records, kNow).status, ReplyStatus::Unsolicited)
      << "asked someone else";
  EXPECT_EQ(book.accept_reply("v2", 8, records, kNow).status, ReplyStatus::Unsolicited)
      << "another request id";
  const ReplyOutcome ok = book.accept_reply("v2", 7, records, kNow + 1000);
  EXPECT_EQ(ok.status, ReplyStatus::Accepted) << "at the deadline: in time";
  EXPECT_EQ(ok.added, 2u);
  EXPECT_EQ(book.accept_reply("v2", 7, records, kNow + 1000).status, ReplyStatus::Unsolicited)
      << "one reply per request";
  EXPECT_EQ(book.outstanding(), 0u);
  EXPECT_STREQ(to_string(ReplyStatus::Unsolicited), "unsolicited");
}

TEST_F(AddressBookTest, LateAndOversizedRepliesAreRefused) {
  AddressBook book(directory_, "self", limits());
  ASSERT_TRUE(book.expect_reply("v2", 1, kNow));
  EXPECT_EQ(book.accept_reply("v2", 1, {record("v1")}, kNow + 1001).status, ReplyStatus::Late);
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(book.accept_reply("v2", 1, {record("v1")}, kNow + 1001).status,
            ReplyStatus::Unsolicited)
      << "a late reply closes the request";

  ASSERT_TRUE(book.expect_reply("v2", 2, kNow));
  const std::vector<AddressRecord> five{record("v1"), record("v3"), record("m1"), record("m2"),
                                        record("m3")};
  EXPECT_EQ(book.accept_reply("v2", 2, five, kNow).status, ReplyStatus::TooMany);
  EXPECT_EQ(book.size(), 0u);
}

TEST_F(AddressBookTest, ReplyCountsInvalidRecordsAgainstThePeer) {
  AddressBook book(directory_, "self", limits());
  AddressRecord forged = record("v1");
  forged.port = 6666;
  ASSERT_TRUE(book.expect_reply("v2", 3, kNow));
  const ReplyOutcome out =
      book.accept_reply("v2", 3, {forged, record("m1"), record("self"), record("gone")}, kNow);
  EXPECT_EQ(out.status, ReplyStatus::Accepted);
  EXPECT_EQ(out.added, 1u);
  EXPECT_EQ(out.invalid, 1u);
  EXPECT_EQ(out.ignored, 2u);
  EXPECT_FALSE(book.find("v1", kNow).has_value());
}

TEST_F(AddressBookTest, OneOutstandingRequestPerPeer) {
  AddressBookLimits l = limits();
  l.max_outstanding = 2;
  AddressBook book(directory_, "self", l);
  EXPECT_TRUE(book.expect_reply("v1", 1, kNow));
  EXPECT_FALSE(book.expect_reply("v1", 2, kNow + 1000)) << "still waiting for request 1";
  EXPECT_TRUE(book.expect_reply("v1", 2, kNow + 1001)) << "request 1 timed out";
  EXPECT_EQ(book.accept_reply("v1", 1, {}, kNow + 1001).status, ReplyStatus::Unsolicited);
  EXPECT_TRUE(book.expect_reply("v2", 1, kNow + 1001));
  EXPECT_FALSE(book.expect_reply("v3", 1, kNow + 1001)) << "max_outstanding";
  EXPECT_TRUE(book.expect_reply("v3", 1, kNow + 2002)) << "timed-out requests make room";
}

// The link a request went out on closed (a duplicate link, a restart): a new one may go out at
// once, and a forget for an older request leaves the current one alone.
TEST_F(AddressBookTest, ARequestWhoseLinkClosedIsForgotten) {
  AddressBook book(directory_, "self", limits());
  ASSERT_TRUE(book.expect_reply("v1", 1, kNow));
  book.forget_request("v1", 1);
  EXPECT_TRUE(book.expect_reply("v1", 2, kNow + 1)) << "no wait for a reply that cannot come";
  book.forget_request("v1", 1);
  EXPECT_FALSE(book.expect_reply("v1", 3, kNow + 2)) << "request 2 is still outstanding";
  EXPECT_EQ(book.accept_reply("v1", 2, {}, kNow + 3).status, ReplyStatus::Accepted);
}

TEST_F(AddressBookTest, RequestsFromEachPeerAreRateLimited) {
  AddressBook book(directory_, "self", limits());
  EXPECT_TRUE(book.allow_request("v1", kNow));
  EXPECT_FALSE(book.allow_request("v1", kNow + 1));
  EXPECT_TRUE(book.allow_request("v2", kNow + 1)) << "per peer";
  EXPECT_FALSE(book.allow_request("v1", kNow + 4999));
  EXPECT_TRUE(book.allow_request("v1", kNow + 5000)) << "interval inclusive";
  EXPECT_FALSE(book.allow_request("v1", kNow + 6000)) << "refused ones are not counted...";
  EXPECT_TRUE(book.allow_request("v1", kNow + 10000)) << "...so the interval runs from 5000";
  // A clock stepping back restarts the interval instead of opening the gate.
  EXPECT_FALSE(book.allow_request("v1", kNow));
  EXPECT_FALSE(book.allow_request("v1", kNow + 4999));
  EXPECT_TRUE(book.allow_request("v1", kNow + 5000));

  AddressBookLimits l = limits();
  l.max_tracked_requesters = 1;
  AddressBook small(directory_, "self", l);
  EXPECT_TRUE(small.allow_request("a", kNow));
  EXPECT_FALSE(small.allow_request("b", kNow + 1)) << "table full of recent requesters";
  EXPECT_TRUE(small.allow_request("b", kNow + 5000)) << "a's entry has run out";
}

TEST_F(AddressBookTest, ReplyRecordsLeaveOutTheRequester) {
  AddressBook book(directory_, "self", limits());
  for (const char *id : {"v1", "v2", "v3", "m1", "m2", "m3"})
    book.add(record(id), kNow);
  const std::vector<AddressRecord> reply = book.reply_records("v1", kNow);
  ASSERT_EQ(reply.size(), 4u) << "max_records_per_reply";
  EXPECT_EQ(reply[0].node_id, "v2") << "validators first, then by id at equal times";
  EXPECT_EQ(reply[1].node_id, "v3");
  EXPECT_EQ(reply[2].node_id, "m1");
  for (const AddressRecord &r : reply) {
    EXPECT_NE(r.node_id, "v1");
    EXPECT_TRUE(verify_address(r, keys_.at(r.node_id)->public_key())) << "signatures kept";
  }
}

TEST_F(AddressBookTest, RejectsInvalidLimits) {
  AddressBookLimits l = limits();
  l.target = 0;
  EXPECT_THROW(AddressBook(directory_, "self", l), Error);
  l = limits();
  l.max_record_lifetime_ms = 0;
  EXPECT_THROW(AddressBook(directory_, "self", l), Error);
}

} // namespace
