#include "mycelium/p2p/address_book.hpp"
#include "mycelium/saturating.hpp"

#include "mycelium/error.hpp"
#include "mycelium/signing.hpp"

#include <algorithm>
#include <limits>

namespace mycelium::p2p {
namespace {

bool live(const AddressRecord &record, std::int64_t now_ms) {
  return now_ms < record.expires_at_ms;
}

} // namespace

Bytes address_signing_bytes(const AddressRecord &record) {
  return PayloadWriter(kAddressTag)
      .frame(record.node_id)
      .frame(record.host)
      .frame_u64(record.port)
      .frame_u64(static_cast<std::uint64_t>(record.expires_at_ms))
      .take();
}

void sign_address(AddressRecord &record, const SecretKey &key) {
  record.signature = key.sign(address_signing_bytes(record));
}

bool verify_address(const AddressRecord &record, const PublicKey &key) {
  return verify(record.signature, address_signing_bytes(record), key);
}

const char *to_string(RecordResult result) {
  switch (result) {
  case RecordResult::Added:
    return "added";
  case RecordResult::Refreshed:
    return "refreshed";
  case RecordResult::Unchanged:
    return "unchanged";
  case RecordResult::Self:
    return "self";
  case RecordResult::Expired:
    return "expired";
  case RecordResult::TooFarAhead:
    return "too-far-ahead";
  case RecordResult::Malformed:
    return "malformed";
  case RecordResult::UnknownNode:
    return "unknown-node";
  case RecordResult::InactiveNode:
    return "inactive-node";
  case RecordResult::BadSignature:
    return "bad-signature";
  case RecordResult::Full:
    return "full";
  }
  return "unknown";
}

const char *to_string(ReplyStatus status) {
  switch (status) {
  case ReplyStatus::Accepted:
    return "accepted";
  case ReplyStatus::Unsolicited:
    return "unsolicited";
  case ReplyStatus::Late:
    return "late";
  case ReplyStatus::TooMany:
    return "too-many";
  }
  return "unknown";
}

AddressBook::AddressBook(const NodeRegistry &registry, std::string self_id,
                         AddressBookLimits limits)
    : registry_(registry), self_id_(std::move(self_id)), limits_(limits) {
  if (limits_.target == 0 || limits_.max_records_per_reply == 0 || limits_.max_outstanding == 0 ||
      limits_.max_tracked_requesters == 0 || limits_.max_host_bytes == 0)
    throw Error(sqlstate::kInvalidParameterValue, "address book limits must be > 0");
  if (limits_.reply_timeout_ms < 0 || limits_.min_request_interval_ms < 0 ||
      limits_.max_record_lifetime_ms <= 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "address book intervals must be >= 0 and the record lifetime > 0");
}

// ---- requests we send

bool AddressBook::expect_reply(std::string_view peer, std::uint64_t request_id,
                               std::int64_t now_ms) {
  const auto it = outstanding_.find(peer);
  if (it != outstanding_.end()) {
    if (now_ms <= it->second.deadline_ms)
      return false; // still waiting for the last one
    outstanding_.erase(it);
  }
  if (outstanding_.size() >= limits_.max_outstanding) {
    for (auto o = outstanding_.begin(); o != outstanding_.end();)
      o = now_ms > o->second.deadline_ms ? outstanding_.erase(o) : std::next(o);
    if (outstanding_.size() >= limits_.max_outstanding)
      return false;
  }
  outstanding_.emplace(std::string(peer),
                       Request{request_id, saturating_add(now_ms, limits_.reply_timeout_ms)});
  return true;
}

void AddressBook::forget_request(std::string_view peer, std::uint64_t request_id) {
  const auto it = outstanding_.find(peer);
  if (it != outstanding_.end() && it->second.request_id == request_id)
    outstanding_.erase(it);
}

ReplyOutcome AddressBook::accept_reply(std::string_view peer, std::uint64_t request_id,
                                       const std::vector<AddressRecord> &records,
                                       std::int64_t now_ms) {
  ReplyOutcome out;
  const auto it = outstanding_.find(peer);
  // A wrong id leaves the real request open: the peer may still answer it.
  if (it == outstanding_.end() || it->second.request_id != request_id) {
    out.status = ReplyStatus::Unsolicited;
    return out;
  }
  const std::int64_t deadline = it->second.deadline_ms;
  outstanding_.erase(it);
  if (now_ms > deadline) {
    out.status = ReplyStatus::Late;
    return out;
  }
  if (records.size() > limits_.max_records_per_reply) {
    out.status = ReplyStatus::TooMany;
    return out;
  }
  out.status = ReplyStatus::Accepted;
  for (const AddressRecord &record : records) {
    switch (add(record, now_ms)) {
    case RecordResult::Added:
    case RecordResult::Refreshed:
      ++out.added;
      break;
    case RecordResult::BadSignature:
    case RecordResult::Malformed:
      ++out.invalid;
      break;
    default:
      ++out.ignored;
    }
  }
  return out;
}

// ---- requests we answer

bool AddressBook::allow_request(std::string_view peer, std::int64_t now_ms) {
  const auto it = answered_.find(peer);
  if (it != answered_.end()) {
    if (now_ms < it->second) {
      it->second = now_ms; // the clock stepped back: run the interval from here
      return false;
    }
    if (now_ms - it->second < limits_.min_request_interval_ms)
      return false;
    it->second = now_ms;
    return true;
  }
  if (answered_.size() >= limits_.max_tracked_requesters) {
    for (auto a = answered_.begin(); a != answered_.end();)
      a = now_ms < a->second || now_ms - a->second < limits_.min_request_interval_ms
              ? std::next(a)
              : answered_.erase(a);
    if (answered_.size() >= limits_.max_tracked_requesters)
      return false;
  }
  answered_.emplace(std::string(peer), now_ms);
  return true;
}

std::vector<AddressRecord> AddressBook::reply_records(std::string_view requester,
                                                      std::int64_t now_ms) const {
  std::vector<AddressRecord> out;
  for (const Held *held : ordered(now_ms)) {
    if (out.size() >= limits_.max_records_per_reply)
      break;
    if (held->record.node_id != requester)
      out.push_back(held->record);
  }
  return out;
}

// ---- the table

AddressBook::Rank AddressBook::rank(const Held &held) const {
  const std::optional<NodeInfo> info = registry_.find(held.record.node_id);
  return Rank{info && info->active && info->is_validator, held.last_seen_ms, &held.record.node_id};
}

// True if a is preferred to b.
bool AddressBook::preferred(const Rank &a, const Rank &b) {
  if (a.validator != b.validator)
    return a.validator;
  if (a.last_seen_ms != b.last_seen_ms)
    return a.last_seen_ms > b.last_seen_ms;
  return *a.node_id < *b.node_id;
}

std::vector<const AddressBook::Held *> AddressBook::ordered(std::int64_t now_ms) const {
  std::vector<std::pair<Rank, const Held *>> ranked;
  for (const auto &[id, held] : table_)
    if (live(held.record, now_ms))
      ranked.emplace_back(rank(held), &held);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return preferred(a.first, b.first); });
  std::vector<const Held *> out;
  out.reserve(ranked.size());
  for (const auto &r : ranked)
    out.push_back(r.second);
  return out;
}

RecordResult AddressBook::add(const AddressRecord &record, std::int64_t now_ms) {
  if (record.node_id.empty() || record.host.empty() ||
      record.host.size() > limits_.max_host_bytes || record.port == 0)
    return RecordResult::Malformed;
  if (record.node_id == self_id_)
    return RecordResult::Self;
  if (!live(record, now_ms))
    return RecordResult::Expired;
  if (record.expires_at_ms > saturating_add(now_ms, limits_.max_record_lifetime_ms))
    return RecordResult::TooFarAhead;

  const auto held = table_.find(record.node_id);
  // A record relayed by several peers costs one verification.
  if (held != table_.end() &&
      (held->second.record == record || record.expires_at_ms <= held->second.record.expires_at_ms))
    return RecordResult::Unchanged;

  const std::optional<NodeInfo> info = registry_.find(record.node_id);
  if (!info)
    return RecordResult::UnknownNode;
  if (!info->active)
    return RecordResult::InactiveNode;
  if (!verify_address(record, info->public_key))
    return RecordResult::BadSignature;

  if (held != table_.end()) {
    held->second = Held{record, now_ms};
    return RecordResult::Refreshed;
  }

  if (table_.size() >= limits_.target) {
    expire(now_ms);
    if (table_.size() >= limits_.target) {
      auto worst = table_.begin();
      Rank worst_rank = rank(worst->second);
      for (auto it = std::next(table_.begin()); it != table_.end(); ++it) {
        const Rank r = rank(it->second);
        if (preferred(worst_rank, r)) {
          worst = it;
          worst_rank = r;
        }
      }
      const Rank incoming{info->is_validator, now_ms, &record.node_id};
      if (!preferred(incoming, worst_rank))
        return RecordResult::Full;
      table_.erase(worst);
    }
  }
  table_.emplace(record.node_id, Held{record, now_ms});
  return RecordResult::Added;
}

void AddressBook::touch(std::string_view node_id, std::int64_t now_ms) {
  const auto it = table_.find(node_id);
  if (it != table_.end() && now_ms > it->second.last_seen_ms)
    it->second.last_seen_ms = now_ms;
}

void AddressBook::remove(std::string_view node_id) {
  const auto it = table_.find(node_id);
  if (it != table_.end())
    table_.erase(it);
}

void AddressBook::expire(std::int64_t now_ms) {
  for (auto it = table_.begin(); it != table_.end();)
    it = live(it->second.record, now_ms) ? std::next(it) : table_.erase(it);
}

std::vector<AddressRecord> AddressBook::records(std::int64_t now_ms) const {
  std::vector<AddressRecord> out;
  for (const Held *held : ordered(now_ms))
    out.push_back(held->record);
  return out;
}

std::optional<AddressRecord> AddressBook::find(std::string_view node_id,
                                               std::int64_t now_ms) const {
  const auto it = table_.find(node_id);
  if (it == table_.end() || !live(it->second.record, now_ms))
    return std::nullopt;
  return it->second.record;
}

bool AddressBook::wants_more(std::int64_t now_ms) const {
  std::size_t n = 0;
  for (const auto &[id, held] : table_)
    if (live(held.record, now_ms))
      ++n;
  return n < limits_.target;
}

} // namespace mycelium::p2p
