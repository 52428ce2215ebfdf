#include "mycelium/consensus/raft_message_codec.hpp"

#include <gtest/gtest.h>

using namespace mycelium;
using namespace mycelium::consensus;

namespace {

RaftEnvelope round_trip(const RaftEnvelope &m) {
  return decode_raft_message(encode_raft_message(m));
}

AppendEntries sample_append() {
  AppendEntries a{7, 10, 6, 9, {}};
  a.entries.push_back(LogEntry{7, EntryType::Command, Bytes{1, 2, 3}});
  a.entries.push_back(LogEntry{7, EntryType::Barrier, {}});
  a.entries.push_back(LogEntry{7, EntryType::Change, Bytes(300, 0xAB)});
  return a;
}

} // namespace

TEST(ConsensusCodec, RoundTripsEveryKind) {
  {
    RaftEnvelope m{42, sample_append()};
    auto back = std::get<AppendEntries>(round_trip(m).body);
    EXPECT_EQ(back.term, 7u);
    EXPECT_EQ(back.prev_log_index, 10u);
    EXPECT_EQ(back.prev_log_term, 6u);
    EXPECT_EQ(back.leader_commit, 9u);
    EXPECT_EQ(back.entries, sample_append().entries);
    EXPECT_EQ(round_trip(m).group_id, 42u);
  }
  {
    auto back = std::get<AppendEntriesResult>(round_trip({1, AppendEntriesResult{3, 5, 4}}).body);
    EXPECT_EQ(back.term, 3u);
    EXPECT_EQ(back.rejected, 5u);
    EXPECT_EQ(back.last_log_index, 4u);
  }
  {
    auto back = std::get<RequestVote>(round_trip({1, RequestVote{3, 2, 9, 2, true, true}}).body);
    EXPECT_EQ(back.candidate_id, 2u);
    EXPECT_EQ(back.last_log_index, 9u);
    EXPECT_TRUE(back.disrupt_leader);
    EXPECT_TRUE(back.pre_vote);
  }
  {
    auto back = std::get<RequestVoteResult>(
        round_trip({1, RequestVoteResult{3, true, PreVoteFlag::No}}).body);
    EXPECT_TRUE(back.vote_granted);
    EXPECT_EQ(back.pre_vote, PreVoteFlag::No);
  }
  {
    InstallSnapshot s{4,  100,
                      3,  {{1, "node-1", MemberRole::Voter}, {5, "n5", MemberRole::Spare}},
                      90, Bytes(1000, 7)};
    auto back = std::get<InstallSnapshot>(round_trip({1, s}).body);
    EXPECT_EQ(back.last_index, 100u);
    EXPECT_EQ(back.configuration, s.configuration);
    EXPECT_EQ(back.conf_index, 90u);
    EXPECT_EQ(back.data, s.data);
  }
  {
    auto back = std::get<TimeoutNow>(round_trip({1, TimeoutNow{8, 20, 7}}).body);
    EXPECT_EQ(back.term, 8u);
    EXPECT_EQ(back.last_log_index, 20u);
  }
}

TEST(ConsensusCodec, HeaderLayoutIsVersionGroupKind) {
  Bytes b = encode_raft_message({0x0102030405060708ull, TimeoutNow{1, 2, 3}});
  ASSERT_EQ(b.size(), 1u + 8 + 1 + 24);
  EXPECT_EQ(b[0], kRaftWireVersion);
  EXPECT_EQ(b[1], 0x08); // little-endian group id
  EXPECT_EQ(b[8], 0x01);
  EXPECT_EQ(b[9], static_cast<std::uint8_t>(MessageKind::TimeoutNow));
}

TEST(ConsensusCodec, EveryTruncationIsRejected) {
  Bytes full = encode_raft_message({9, sample_append()});
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_THROW(decode_raft_message(full.data(), n), CodecError) << "prefix of " << n;
}

TEST(ConsensusCodec, RejectsTrailingBytesUnknownKindsAndFlags) {
  Bytes b = encode_raft_message({1, TimeoutNow{1, 2, 3}});
  Bytes longer = b;
  longer.push_back(0);
  EXPECT_THROW(decode_raft_message(longer), CodecError);

  Bytes bad_version = b;
  bad_version[0] = 2;
  EXPECT_THROW(decode_raft_message(bad_version), CodecError);

  Bytes bad_kind = b;
  bad_kind[9] = 7;
  EXPECT_THROW(decode_raft_message(bad_kind), CodecError);

  Bytes vote = encode_raft_message({1, RequestVote{3, 2, 9, 2, false, false}});
  vote.back() = 4; // an undefined flag bit
  EXPECT_THROW(decode_raft_message(vote), CodecError);

  Bytes zero_candidate = encode_raft_message({1, RequestVote{3, 0, 9, 2, false, false}});
  EXPECT_THROW(decode_raft_message(zero_candidate), CodecError);

  Bytes result = encode_raft_message({1, RequestVoteResult{3, true, PreVoteFlag::Yes}});
  result[result.size() - 2] = 2; // vote_granted must be 0 or 1
  EXPECT_THROW(decode_raft_message(result), CodecError);
}

TEST(ConsensusCodec, RejectsHugeCountsWithoutAllocating) {
  // An AppendEntries claiming 2^32-1 entries in a 40-byte message.
  Bytes b = encode_raft_message({1, AppendEntries{1, 0, 0, 0, {}}});
  for (int i = 0; i < 4; ++i)
    b[b.size() - 4 + i] = 0xFF;
  EXPECT_THROW(decode_raft_message(b), CodecError);

  AppendEntries a{1, 0, 0, 0, {}};
  a.entries.push_back(LogEntry{1, EntryType::Command, Bytes{1}});
  Bytes one = encode_raft_message({1, a});
  // Entry length field (after term and type) says 0xFFFFFFFF.
  std::size_t len_at = one.size() - 1 - 4;
  for (int i = 0; i < 4; ++i)
    one[len_at + i] = 0xFF;
  EXPECT_THROW(decode_raft_message(one), CodecError);

  CodecLimits limits;
  limits.max_entries = 2;
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, sample_append()}), limits), CodecError);
  limits = {};
  limits.max_message_bytes = 16;
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, sample_append()}), limits), CodecError);
}

TEST(ConsensusCodec, RejectsBadConfigurations) {
  InstallSnapshot s{4, 100, 3, {{1, "a", MemberRole::Voter}, {1, "b", MemberRole::Voter}}, 90, {}};
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, s})), CodecError); // repeated id
  s.configuration = {{2, "", MemberRole::Voter}};
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, s})), CodecError); // empty address
  s.configuration = {{2, std::string("a\0b", 3), MemberRole::Voter}};
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, s})), CodecError); // NUL in address
  s.configuration = {{2, "a", static_cast<MemberRole>(3)}};
  EXPECT_THROW(decode_raft_message(encode_raft_message({1, s})), CodecError); // unknown role
}

TEST(ConsensusCodec, SurvivesRandomCorruption) {
  Bytes full = encode_raft_message({9, sample_append()});
  std::uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    Bytes b = full;
    for (int k = 0; k < 3; ++k) {
      x = x * 1103515245 + 12345;
      b[(x >> 8) % b.size()] = static_cast<std::uint8_t>(x >> 24);
    }
    try {
      decode_raft_message(b);
    } catch (const CodecError &) {
    }
  }
  SUCCEED();
}
