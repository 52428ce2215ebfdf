#include "mycelium/consensus/raft_message_codec.hpp"

#include "byte_io.hpp"

#include <set>
#include <type_traits>

namespace mycelium::consensus {
namespace {

using namespace detail;

[[noreturn]] void codec_fail(const std::string &message) {
  throw CodecError("raft message: " + message);
}
using WireReader = Reader<void (*)(const std::string &)>;

void put_entries(Bytes &out, const std::vector<LogEntry> &entries) {
  put_u32(out, static_cast<std::uint32_t>(entries.size()));
  for (const LogEntry &e : entries) {
    put_u64(out, e.term);
    put_u8(out, static_cast<std::uint8_t>(e.type));
    put_u32(out, static_cast<std::uint32_t>(e.data.size()));
    put_bytes(out, e.data.data(), e.data.size());
  }
}

void put_body(Bytes &out, const AppendEntries &m) {
  put_u64(out, m.term);
  put_u64(out, m.prev_log_index);
  put_u64(out, m.prev_log_term);
  put_u64(out, m.leader_commit);
  put_entries(out, m.entries);
}
void put_body(Bytes &out, const AppendEntriesResult &m) {
  put_u64(out, m.term);
  put_u64(out, m.rejected);
  put_u64(out, m.last_log_index);
}
void put_body(Bytes &out, const RequestVote &m) {
  put_u64(out, m.term);
  put_u64(out, m.candidate_id);
  put_u64(out, m.last_log_index);
  put_u64(out, m.last_log_term);
  put_u8(out, static_cast<std::uint8_t>((m.disrupt_leader ? 1 : 0) | (m.pre_vote ? 2 : 0)));
}
void put_body(Bytes &out, const RequestVoteResult &m) {
  put_u64(out, m.term);
  put_u8(out, m.vote_granted ? 1 : 0);
  put_u8(out, static_cast<std::uint8_t>(m.pre_vote));
}
void put_body(Bytes &out, const InstallSnapshot &m) {
  put_u64(out, m.term);
  put_u64(out, m.last_index);
  put_u64(out, m.last_term);
  put_u64(out, m.conf_index);
  append_membership(out, m.configuration);
  put_u64(out, m.data.size());
  put_bytes(out, m.data.data(), m.data.size());
}
void put_body(Bytes &out, const TimeoutNow &m) {
  put_u64(out, m.term);
  put_u64(out, m.last_log_index);
  put_u64(out, m.last_log_term);
}

bool read_bool(WireReader &r, const char *field) {
  std::uint8_t v = r.u8(field);
  if (v > 1)
    codec_fail(std::string(field) + " is " + std::to_string(v) + ", not 0 or 1");
  return v == 1;
}

LogEntry read_entry(WireReader &r) {
  LogEntry e;
  e.term = r.u64("entry term");
  std::uint8_t type = r.u8("entry type");
  if (type < 1 || type > 3)
    codec_fail("unknown entry type " + std::to_string(type));
  e.type = static_cast<EntryType>(type);
  std::uint32_t len = r.u32("entry length");
  e.data = r.bytes(len, "entry data");
  return e;
}

AppendEntries read_append_entries(WireReader &r, const CodecLimits &limits) {
  AppendEntries m;
  m.term = r.u64("term");
  m.prev_log_index = r.u64("prev_log_index");
  m.prev_log_term = r.u64("prev_log_term");
  m.leader_commit = r.u64("leader_commit");
  std::uint32_t n = r.u32("entry count");
  if (n > limits.max_entries)
    codec_fail(std::to_string(n) + " entries exceed the limit of " +
               std::to_string(limits.max_entries));
  // Each entry takes at least 13 bytes, so a count larger than the input can hold is refused
  // before anything is reserved for it.
  if (static_cast<std::uint64_t>(n) * 13 > r.remaining())
    codec_fail("entry count " + std::to_string(n) + " larger than the message");
  m.entries.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i)
    m.entries.push_back(read_entry(r));
  return m;
}

AppendEntriesResult read_append_entries_result(WireReader &r) {
  AppendEntriesResult m;
  m.term = r.u64("term");
  m.rejected = r.u64("rejected");
  m.last_log_index = r.u64("last_log_index");
  return m;
}

RequestVote read_request_vote(WireReader &r) {
  RequestVote m;
  m.term = r.u64("term");
  m.candidate_id = r.u64("candidate_id");
  if (m.candidate_id == 0)
    codec_fail("candidate_id is 0");
  m.last_log_index = r.u64("last_log_index");
  m.last_log_term = r.u64("last_log_term");
  std::uint8_t flags = r.u8("flags");
  if (flags & ~3u)
    codec_fail("unknown request vote flags " + std::to_string(flags));
  m.disrupt_leader = flags & 1;
  m.pre_vote = flags & 2;
  return m;
}

RequestVoteResult read_request_vote_result(WireReader &r) {
  RequestVoteResult m;
  m.term = r.u64("term");
  m.vote_granted = read_bool(r, "vote_granted");
  std::uint8_t pre_vote = r.u8("pre_vote");
  if (pre_vote > 2)
    codec_fail("pre_vote is " + std::to_string(pre_vote));
  m.pre_vote = static_cast<PreVoteFlag>(pre_vote);
  return m;
}

Membership read_membership(WireReader &r, const CodecLimits &limits) {
  std::uint32_t n = r.u32("member count");
  if (n > limits.max_members)
    codec_fail(std::to_string(n) + " members exceed the limit of " +
               std::to_string(limits.max_members));
  Membership members;
  std::set<std::uint64_t> ids;
  for (std::uint32_t i = 0; i < n; ++i) {
    Member m;
    m.id = r.u64("member id");
    if (m.id == 0 || !ids.insert(m.id).second)
      codec_fail("member id " + std::to_string(m.id) + " is 0 or repeated");
    std::uint8_t role = r.u8("member role");
    if (role > 2)
      codec_fail("unknown member role " + std::to_string(role));
    m.role = static_cast<MemberRole>(role);
    std::uint16_t len = r.u16("address length");
    if (len == 0 || len > limits.max_address_bytes)
      codec_fail("address length " + std::to_string(len) + " outside 1.." +
                 std::to_string(limits.max_address_bytes));
    const std::uint8_t *p = r.take(len, "address");
    m.address.assign(reinterpret_cast<const char *>(p), len);
    if (m.address.find('\0') != std::string::npos)
      codec_fail("address contains a NUL byte");
    members.push_back(std::move(m));
  }
  return members;
}

InstallSnapshot read_install_snapshot(WireReader &r, const CodecLimits &limits) {
  InstallSnapshot m;
  m.term = r.u64("term");
  m.last_index = r.u64("last_index");
  m.last_term = r.u64("last_term");
  m.conf_index = r.u64("conf_index");
  m.configuration = read_membership(r, limits);
  std::uint64_t len = r.u64("snapshot length");
  m.data = r.bytes(len, "snapshot data");
  return m;
}

TimeoutNow read_timeout_now(WireReader &r) {
  TimeoutNow m;
  m.term = r.u64("term");
  m.last_log_index = r.u64("last_log_index");
  m.last_log_term = r.u64("last_log_term");
  return m;
}

RaftMessageBody read_body(MessageKind kind, WireReader &r, const CodecLimits &limits) {
  switch (kind) {
  case MessageKind::AppendEntries:
    return read_append_entries(r, limits);
  case MessageKind::AppendEntriesResult:
    return read_append_entries_result(r);
  case MessageKind::RequestVote:
    return read_request_vote(r);
  case MessageKind::RequestVoteResult:
    return read_request_vote_result(r);
  case MessageKind::InstallSnapshot:
    return read_install_snapshot(r, limits);
  case MessageKind::TimeoutNow:
    return read_timeout_now(r);
  }
  codec_fail("unknown message kind " + std::to_string(static_cast<int>(kind)));
}

} // namespace

MessageKind kind_of(const RaftMessageBody &body) {
  return static_cast<MessageKind>(body.index() + 1);
}

std::uint64_t term_of(const RaftMessageBody &body) {
  return std::visit([](const auto &m) { return m.term; }, body);
}

void append_membership(Bytes &out, const Membership &members) {
  put_u32(out, static_cast<std::uint32_t>(members.size()));
  for (const Member &m : members) {
    put_u64(out, m.id);
    put_u8(out, static_cast<std::uint8_t>(m.role));
    put_u16(out, static_cast<std::uint16_t>(m.address.size()));
    put_bytes(out, m.address.data(), m.address.size());
  }
}

Bytes encode_raft_message(const RaftEnvelope &message) {
  Bytes out;
  put_u8(out, kRaftWireVersion);
  put_u64(out, message.group_id);
  put_u8(out, static_cast<std::uint8_t>(kind_of(message.body)));
  std::visit([&out](const auto &m) { put_body(out, m); }, message.body);
  return out;
}

RaftEnvelope decode_raft_message(const std::uint8_t *bytes, std::size_t size,
                                 const CodecLimits &limits) {
  if (size > limits.max_message_bytes)
    codec_fail(std::to_string(size) + " bytes exceed the limit of " +
               std::to_string(limits.max_message_bytes));
  WireReader r(bytes, size, &codec_fail);
  std::uint8_t version = r.u8("version");
  if (version != kRaftWireVersion)
    codec_fail("unknown version " + std::to_string(version));
  RaftEnvelope message;
  message.group_id = r.u64("group id");
  std::uint8_t kind = r.u8("kind");
  if (kind < 1 || kind > 6)
    codec_fail("unknown message kind " + std::to_string(kind));
  message.body = read_body(static_cast<MessageKind>(kind), r, limits);
  r.expect_end("message");
  return message;
}

} // namespace mycelium::consensus
