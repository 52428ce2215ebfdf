#include "mycelium/consensus/shard_group.hpp"

#include "mycelium/node_id.hpp"
#include "mycelium/signing.hpp"

#include <sodium.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>

namespace mycelium::consensus {

namespace {

constexpr std::uint8_t kEpochVersion = 1;
constexpr std::uint8_t kEpochKind = 1;
constexpr std::uint8_t kHistoryKind = 2;
// The smallest Epoch command: a one-byte primary_node.
constexpr std::size_t kMinEpochBytes = 2 + 8 + 1 + 1 + 8 + 32;

std::uint64_t tagged_id(std::string_view tag, std::string_view value) {
  const Bytes framed = PayloadWriter(tag).frame(value).take();
  std::uint8_t digest[32];
  crypto_generichash(digest, sizeof digest, framed.data(), framed.size(), nullptr, 0);
  std::uint64_t id = 0;
  for (int i = 7; i >= 0; --i)
    id = (id << 8) | digest[i];
  return id == 0 ? 1 : id;
}

void put_u64(Bytes &out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Reads fields in order; every read checks what remains first.
class Reader {
public:
  Reader(const std::uint8_t *data, std::size_t size, const char *what = "epoch command")
      : p_(data), left_(size), what_(what) {}
  const std::uint8_t *take(std::size_t n, const char *field) {
    if (left_ < n)
      throw EpochCodecError(std::string(what_) + ": " + field + " runs past the end");
    const std::uint8_t *at = p_;
    p_ += n;
    left_ -= n;
    return at;
  }
  std::uint8_t u8(const char *field) { return *take(1, field); }
  std::uint16_t u16(const char *field) {
    const std::uint8_t *b = take(2, field);
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
  }
  std::uint32_t u32(const char *field) {
    const std::uint8_t *b = take(4, field);
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = (v << 8) | b[i];
    return v;
  }
  std::uint64_t u64(const char *field) {
    const std::uint8_t *b = take(8, field);
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
      v = (v << 8) | b[i];
    return v;
  }
  std::size_t left() const { return left_; }

private:
  const std::uint8_t *p_;
  std::size_t left_;
  const char *what_;
};

void check_epoch(const Epoch &e) {
  if (e.term == 0)
    throw EpochCodecError("epoch command: term must be at least 1");
  // apply_shard_epoch takes the term as a bigint: a larger one would fail there at every retry
  // and hold up every later epoch of the shard.
  if (e.term > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw EpochCodecError("epoch command: term is beyond a bigint");
  if (!is_node_id(e.primary_node))
    throw EpochCodecError("epoch command: primary_node is not a node id");
  if (e.start_seq < 0)
    throw EpochCodecError("epoch command: start_seq is negative");
  if (e.start_seq == 0 &&
      std::any_of(e.start_hash.begin(), e.start_hash.end(), [](std::uint8_t b) { return b; }))
    throw EpochCodecError("epoch command: start_hash must be 32 zero bytes when start_seq is 0");
}

} // namespace

std::uint64_t raft_id(std::string_view node_id) {
  return tagged_id("mycelium/v1/raft-id", node_id);
}

std::uint64_t raft_group_id(std::string_view shard_id) {
  return tagged_id("mycelium/v1/raft-group", shard_id);
}

std::uint64_t peek_group_id(const Bytes &message) {
  if (message.size() < 10 || message[0] != 1)
    return 0;
  std::uint64_t id = 0;
  for (int i = 8; i >= 1; --i)
    id = (id << 8) | message[static_cast<std::size_t>(i)];
  return id;
}

Bytes encode_epoch(const Epoch &epoch) {
  check_epoch(epoch);
  Bytes out;
  out.reserve(2 + 8 + 1 + epoch.primary_node.size() + 8 + 32);
  out.push_back(kEpochVersion);
  out.push_back(kEpochKind);
  put_u64(out, epoch.term);
  out.push_back(static_cast<std::uint8_t>(epoch.primary_node.size()));
  out.insert(out.end(), epoch.primary_node.begin(), epoch.primary_node.end());
  put_u64(out, static_cast<std::uint64_t>(epoch.start_seq));
  out.insert(out.end(), epoch.start_hash.begin(), epoch.start_hash.end());
  return out;
}

Epoch decode_epoch(const std::uint8_t *data, std::size_t size) {
  Reader in(data, size);
  const std::uint8_t version = in.u8("version");
  if (version != kEpochVersion)
    throw EpochCodecError("epoch command: unknown version " + std::to_string(version));
  const std::uint8_t kind = in.u8("kind");
  if (kind != kEpochKind)
    throw EpochCodecError("epoch command: unknown kind " + std::to_string(kind));
  Epoch e;
  e.term = in.u64("term");
  const std::uint8_t n = in.u8("primary_node length");
  const std::uint8_t *name = in.take(n, "primary_node");
  e.primary_node.assign(reinterpret_cast<const char *>(name), n);
  const std::uint64_t seq = in.u64("start_seq");
  if (seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw EpochCodecError("epoch command: start_seq is beyond a bigint");
  e.start_seq = static_cast<std::int64_t>(seq);
  const std::uint8_t *hash = in.take(32, "start_hash");
  std::copy(hash, hash + 32, e.start_hash.begin());
  if (in.left() != 0)
    throw EpochCodecError("epoch command: " + std::to_string(in.left()) +
                          " trailing bytes after start_hash");
  check_epoch(e);
  return e;
}

Bytes encode_epoch_history(const std::vector<Epoch> &history) {
  if (history.size() > kMaxEpochHistory)
    throw EpochCodecError("epoch history: " + std::to_string(history.size()) +
                          " epochs, more than " + std::to_string(kMaxEpochHistory));
  Bytes out{kEpochVersion, kHistoryKind};
  const auto count = static_cast<std::uint32_t>(history.size());
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::uint8_t>(count >> (8 * i)));
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Epoch &e = history[i];
    if (i > 0 && e.term <= history[i - 1].term)
      throw EpochCodecError("epoch history: term " + std::to_string(e.term) + " follows term " +
                            std::to_string(history[i - 1].term) + " (terms must increase)");
    const Bytes one = encode_epoch(e); // refuses what decode_epoch refuses; under 2^16 bytes
    out.push_back(static_cast<std::uint8_t>(one.size()));
    out.push_back(static_cast<std::uint8_t>(one.size() >> 8));
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

std::vector<Epoch> decode_epoch_history(const std::uint8_t *data, std::size_t size) {
  // The earlier format: the latest epoch alone (empty before the first).
  if (size == 0)
    return {};
  if (size >= 2 && data[0] == kEpochVersion && data[1] == kEpochKind)
    return {decode_epoch(data, size)};
  Reader in(data, size, "epoch history");
  const std::uint8_t version = in.u8("version");
  if (version != kEpochVersion)
    throw EpochCodecError("epoch history: unknown version " + std::to_string(version));
  const std::uint8_t kind = in.u8("kind");
  if (kind != kHistoryKind)
    throw EpochCodecError("epoch history: unknown kind " + std::to_string(kind));
  const std::uint32_t count = in.u32("count");
  if (count > kMaxEpochHistory)
    throw EpochCodecError("epoch history: count " + std::to_string(count) + " is above " +
                          std::to_string(kMaxEpochHistory));
  std::vector<Epoch> history;
  // Bounded by the bytes present, not by the count alone.
  history.reserve(std::min<std::size_t>(count, in.left() / (2 + kMinEpochBytes)));
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint16_t n = in.u16("epoch length");
    const std::uint8_t *one = in.take(n, "epoch");
    Epoch e;
    try {
      e = decode_epoch(one, n);
    } catch (const EpochCodecError &error) {
      throw EpochCodecError("epoch history: epoch " + std::to_string(i) + ": " + error.what());
    }
    if (!history.empty() && e.term <= history.back().term)
      throw EpochCodecError("epoch history: term " + std::to_string(e.term) + " follows term " +
                            std::to_string(history.back().term) + " (terms must increase)");
    history.push_back(std::move(e));
  }
  if (in.left() != 0)
    throw EpochCodecError("epoch history: " + std::to_string(in.left()) +
                          " trailing bytes after the last epoch");
  return history;
}

bool record_epoch(std::vector<Epoch> &history, const Epoch &epoch) {
  if (!history.empty() && epoch.term <= history.back().term)
    return false;
  history.push_back(epoch);
  if (history.size() > kMaxEpochHistory)
    history.erase(history.begin(),
                  history.begin() + static_cast<std::ptrdiff_t>(history.size() - kMaxEpochHistory));
  return true;
}

std::vector<Epoch> restore_epoch_history(std::vector<Epoch> &history,
                                         const std::vector<Epoch> &restored,
                                         std::uint64_t database_term) {
  const std::uint64_t known = history.empty() ? 0 : history.back().term;
  std::map<std::uint64_t, Epoch> by_term;
  for (const Epoch &e : history)
    by_term[e.term] = e;
  std::vector<Epoch> to_queue;
  for (const Epoch &e : restored) {
    by_term[e.term] = e;
    if (e.term > known && e.term >= database_term)
      to_queue.push_back(e);
  }
  history.clear();
  auto from = by_term.begin();
  if (by_term.size() > kMaxEpochHistory)
    std::advance(from, static_cast<std::ptrdiff_t>(by_term.size() - kMaxEpochHistory));
  for (auto it = from; it != by_term.end(); ++it)
    history.push_back(it->second);
  std::sort(to_queue.begin(), to_queue.end(),
            [](const Epoch &a, const Epoch &b) { return a.term < b.term; });
  return to_queue;
}

const char *to_string(MembershipStep::Kind kind) {
  switch (kind) {
  case MembershipStep::Kind::None:
    return "none";
  case MembershipStep::Kind::AddNonvoter:
    return "add";
  case MembershipStep::Kind::Promote:
    return "promote";
  case MembershipStep::Kind::Remove:
    return "remove";
  }
  return "unknown";
}

MembershipStep next_membership_step(const Membership &current,
                                    const std::vector<std::string> &voters,
                                    const std::string &self) {
  std::set<std::string> wanted(voters.begin(), voters.end());
  wanted.insert(self);
  const auto find = [&](std::uint64_t id) -> const Member * {
    for (const Member &m : current)
      if (m.id == id)
        return &m;
    return nullptr;
  };
  for (const std::string &node : wanted) { // std::set: node ids in order
    const Member *m = find(raft_id(node));
    if (m == nullptr || m->role == MemberRole::Spare)
      return {MembershipStep::Kind::AddNonvoter, raft_id(node), node};
  }
  for (const std::string &node : wanted) {
    const Member *m = find(raft_id(node));
    if (m->role == MemberRole::Standby)
      return {MembershipStep::Kind::Promote, m->id, {}};
  }
  std::set<std::uint64_t> wanted_ids;
  for (const std::string &node : wanted)
    wanted_ids.insert(raft_id(node));
  std::vector<const Member *> unwanted;
  for (const Member &m : current)
    if (!wanted_ids.count(m.id) && m.id != raft_id(self))
      unwanted.push_back(&m);
  if (unwanted.empty())
    return {};
  const Member *first =
      *std::min_element(unwanted.begin(), unwanted.end(),
                        [](const Member *a, const Member *b) { return a->address < b->address; });
  return {MembershipStep::Kind::Remove, first->id, first->address};
}

TakeOffice::Action TakeOffice::begin(std::uint64_t term, std::uint64_t leader_since_ms,
                                     std::size_t voters, std::uint64_t now_ms) {
  phase_ = Phase::Syncing;
  term_ = term;
  started_ms_ = now_ms;
  leader_since_ms_ = leader_since_ms;
  voters_ = voters;
  answered_.clear();
  return Action::AskSync;
}

void TakeOffice::sync_answered(const std::string &node_id) {
  if (phase_ == Phase::Syncing)
    answered_.insert(node_id);
}

TakeOffice::Action TakeOffice::step(std::uint64_t now_ms) {
  if (phase_ != Phase::Syncing)
    return Action::None;
  // This node counts as one answer: it holds what it holds.
  const bool majority = (answered_.size() + 1) * 2 > voters_;
  const bool lease_over = now_ms >= leader_since_ms_ + lease_ms_;
  if (majority && lease_over) {
    phase_ = Phase::ReadingHead;
    return Action::ReadHead;
  }
  // Never propose without a majority's entries: a leader whose chain is behind would start its
  // epoch there, and every member would move the entries after it aside (data that a majority
  // held). Ask again instead; answers already counted stay counted.
  if (!majority && now_ms >= started_ms_ + sync_timeout_ms_) {
    started_ms_ = now_ms;
    return Action::AskSync;
  }
  return Action::None;
}

TakeOffice::Action TakeOffice::head_read(const std::string &self, std::int64_t seq,
                                         const Hash32 &hash) {
  if (phase_ != Phase::ReadingHead)
    return Action::None;
  epoch_ = Epoch{term_, self, seq, seq == 0 ? Hash32{} : hash};
  phase_ = Phase::Proposing;
  return Action::Propose;
}

const char *to_string(TakeOffice::Phase phase) {
  switch (phase) {
  case TakeOffice::Phase::Idle:
    return "idle";
  case TakeOffice::Phase::Syncing:
    return "syncing";
  case TakeOffice::Phase::ReadingHead:
    return "reading-head";
  case TakeOffice::Phase::Proposing:
    return "proposing";
  case TakeOffice::Phase::Done:
    return "done";
  }
  return "unknown";
}

} // namespace mycelium::consensus
