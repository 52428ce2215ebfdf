#include "mycelium/p2p/blacklist_policy.hpp"
#include "mycelium/saturating.hpp"

#include "mycelium/error.hpp"
#include "mycelium/protocol/envelope.hpp"

#include <limits>

namespace mycelium::p2p {
namespace {

bool live(const protocol::BlacklistEntry &entry, std::int64_t now_ms) {
  return entry.expires_at_ms == 0 || now_ms < entry.expires_at_ms;
}

bool counts(const std::optional<NodeInfo> &info) {
  return info && info->active && info->is_validator;
}

} // namespace

const char *to_string(OfferResult result) {
  switch (result) {
  case OfferResult::Accepted:
    return "accepted";
  case OfferResult::Duplicate:
    return "duplicate";
  case OfferResult::Superseded:
    return "superseded";
  case OfferResult::Expired:
    return "expired";
  case OfferResult::FromFuture:
    return "from-future";
  case OfferResult::Malformed:
    return "malformed";
  case OfferResult::UnknownCreator:
    return "unknown-creator";
  case OfferResult::InactiveCreator:
    return "inactive-creator";
  case OfferResult::NotValidator:
    return "not-validator";
  case OfferResult::BadSignature:
    return "bad-signature";
  case OfferResult::Lifted:
    return "lifted";
  case OfferResult::Full:
    return "full";
  }
  return "unknown";
}

bool is_offence(OfferResult result) {
  return result == OfferResult::BadSignature || result == OfferResult::Malformed;
}

Blacklist::Blacklist(const NodeRegistry &registry, BlacklistPolicy policy)
    : registry_(registry), policy_(policy) {
  if (policy_.stake_den == 0 || policy_.stake_num == 0 || policy_.stake_num > policy_.stake_den)
    throw Error(sqlstate::kInvalidParameterValue,
                "stake share must be num/den with 0 < num <= den");
  if (policy_.min_validators == 0)
    throw Error(sqlstate::kInvalidParameterValue, "min_validators must be >= 1");
  if (policy_.max_entries == 0)
    throw Error(sqlstate::kInvalidParameterValue, "max_entries must be > 0");
  if (policy_.max_clock_skew_ms < 0 || policy_.lift_memory_ms < 0)
    throw Error(sqlstate::kInvalidParameterValue, "clock skew and lift memory must be >= 0");
}

void Blacklist::ban(std::string_view node_id, std::int64_t until_ms, std::string reason) {
  const auto it = local_.find(node_id);
  if (it == local_.end()) {
    local_.emplace(std::string(node_id), LocalBan{until_ms, std::move(reason)});
  } else if (until_ms > it->second.until_ms) {
    it->second = LocalBan{until_ms, std::move(reason)};
  }
}

OfferResult Blacklist::offer(const protocol::BlacklistEntry &entry, std::int64_t now_ms) {
  if (entry.node_id.empty() || entry.created_by.empty() ||
      (entry.expires_at_ms != 0 && entry.expires_at_ms <= entry.created_at_ms))
    return OfferResult::Malformed;
  if (!live(entry, now_ms))
    return OfferResult::Expired;
  if (entry.created_at_ms > saturating_add(now_ms, policy_.max_clock_skew_ms))
    return OfferResult::FromFuture;

  // A duplicate (the common case: every peer relays the same entries) costs no verification.
  const auto node = shared_.find(entry.node_id);
  const protocol::BlacklistEntry *held = nullptr;
  if (node != shared_.end()) {
    const auto by = node->second.find(entry.created_by);
    if (by != node->second.end())
      held = &by->second;
  }
  if (held && *held == entry)
    return OfferResult::Duplicate;

  const std::optional<NodeInfo> creator = registry_.find(entry.created_by);
  if (!creator)
    return OfferResult::UnknownCreator;
  if (!creator->active)
    return OfferResult::InactiveCreator;
  if (!creator->is_validator)
    return OfferResult::NotValidator;
  if (!protocol::verify_blacklist_entry(entry, creator->public_key))
    return OfferResult::BadSignature;

  const auto lift = lifts_.find(entry.node_id);
  if (lift != lifts_.end() && now_ms < lift->second.forget_at_ms &&
      entry.created_at_ms <= lift->second.lifted_at_ms)
    return OfferResult::Lifted;

  if (held) {
    // One vote per creator and node: the latest decision (created_at_ms) stands. With equal
    // created_at_ms the entry held first stays: the creator signed both, so either is its vote.
    if (entry.created_at_ms <= held->created_at_ms)
      return OfferResult::Superseded;
    node->second[entry.created_by] = entry;
    return OfferResult::Accepted;
  }

  if (count_ >= policy_.max_entries) {
    expire(now_ms);
    if (count_ >= policy_.max_entries)
      return OfferResult::Full;
  }
  shared_[entry.node_id][entry.created_by] = entry;
  ++count_;
  return OfferResult::Accepted;
}

BanStatus Blacklist::status(std::string_view node_id, std::int64_t now_ms) const {
  BanStatus s;
  const auto local = local_.find(node_id);
  if (local != local_.end() && now_ms < local->second.until_ms) {
    s.local = true;
    s.local_until_ms = local->second.until_ms;
    s.local_reason = local->second.reason;
  }

  s.total_stake = registry_.active_validator_stake();
  const auto node = shared_.find(node_id);
  if (node != shared_.end()) {
    for (const auto &[creator_id, entry] : node->second) {
      if (!live(entry, now_ms))
        continue;
      const std::optional<NodeInfo> creator = registry_.find(creator_id);
      if (!counts(creator))
        continue;
      s.vouching_stake = saturating_add(s.vouching_stake, creator->stake);
      ++s.vouching_validators;
    }
  }

  // vouching / total >= num / den, in integers: vouching * den >= total * num. 128-bit
  // products cannot overflow (both factors are below 2^64).
  const bool shared_ban = s.total_stake > 0 && s.vouching_validators >= policy_.min_validators &&
                          static_cast<unsigned __int128>(s.vouching_stake) * policy_.stake_den >=
                              static_cast<unsigned __int128>(s.total_stake) * policy_.stake_num;
  s.banned = s.local || shared_ban;
  return s;
}

bool Blacklist::is_banned(std::string_view node_id, std::int64_t now_ms) const {
  return status(node_id, now_ms).banned;
}

std::vector<protocol::BlacklistEntry> Blacklist::entries_to_share(std::int64_t now_ms) const {
  std::vector<protocol::BlacklistEntry> out;
  for (const auto &[node_id, by_creator] : shared_)
    for (const auto &[creator_id, entry] : by_creator)
      if (live(entry, now_ms) && counts(registry_.find(creator_id)))
        out.push_back(entry);
  return out;
}

void Blacklist::lift(std::string_view node_id, std::int64_t now_ms) {
  const auto local = local_.find(node_id);
  if (local != local_.end())
    local_.erase(local);
  const auto node = shared_.find(node_id);
  if (node != shared_.end()) {
    count_ -= node->second.size();
    shared_.erase(node);
  }
  lifts_[std::string(node_id)] = Lift{now_ms, saturating_add(now_ms, policy_.lift_memory_ms)};
}

void Blacklist::expire(std::int64_t now_ms) {
  for (auto it = local_.begin(); it != local_.end();)
    it = now_ms < it->second.until_ms ? std::next(it) : local_.erase(it);
  for (auto node = shared_.begin(); node != shared_.end();) {
    for (auto by = node->second.begin(); by != node->second.end();) {
      if (live(by->second, now_ms)) {
        ++by;
      } else {
        by = node->second.erase(by);
        --count_;
      }
    }
    node = node->second.empty() ? shared_.erase(node) : std::next(node);
  }
  for (auto it = lifts_.begin(); it != lifts_.end();)
    it = now_ms < it->second.forget_at_ms ? std::next(it) : lifts_.erase(it);
}

} // namespace mycelium::p2p
