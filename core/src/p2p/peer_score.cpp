#include "mycelium/p2p/peer_score.hpp"

#include "mycelium/error.hpp"

#include <cmath>

namespace mycelium::p2p {

const char *to_string(Offence offence) {
  switch (offence) {
  case Offence::InvalidSignature:
    return "invalid-signature";
  case Offence::Malformed:
    return "malformed";
  case Offence::ProtocolViolation:
    return "protocol-violation";
  case Offence::Replay:
    return "replay";
  case Offence::RateLimited:
    return "rate-limited";
  }
  return "unknown";
}

std::optional<Offence> offence_of(protocol::RejectReason reason) {
  using protocol::RejectReason;
  switch (reason) {
  case RejectReason::BadSignature:
    return Offence::InvalidSignature;
  case RejectReason::Malformed:
  case RejectReason::MissingField:
  case RejectReason::WrongVersion:
  case RejectReason::Oversized:
    return Offence::Malformed;
  case RejectReason::Stale:
  case RejectReason::Replayed:
    return Offence::Replay;
  case RejectReason::ProtocolViolation:
    return Offence::ProtocolViolation;
  case RejectReason::RateLimited:
    return Offence::RateLimited;
  case RejectReason::UnknownMessage:
  case RejectReason::Overloaded:
  case RejectReason::Undecryptable:
    return std::nullopt;
  }
  return std::nullopt;
}

PeerScores::PeerScores(ScoreParams params) : params_(params) {
  for (const double w : params_.weights)
    if (!std::isfinite(w) || w < 0)
      throw Error(sqlstate::kInvalidParameterValue, "offence weights must be finite and >= 0");
  if (params_.half_life_ms <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "score half-life must be > 0");
  if (!std::isfinite(params_.ban_threshold) || params_.ban_threshold <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "ban threshold must be finite and > 0");
  if (params_.max_peers == 0)
    throw Error(sqlstate::kInvalidParameterValue, "max_peers must be > 0");
  if (!std::isfinite(params_.forget_below) || params_.forget_below < 0)
    throw Error(sqlstate::kInvalidParameterValue, "forget_below must be finite and >= 0");
}

// score * 2^(-elapsed / half_life). exp2 of a negative integer is exact, so after whole
// half-lives the result is exact too.
double PeerScores::decayed(const Entry &entry, std::int64_t now_ms) const {
  if (now_ms <= entry.updated_ms)
    return entry.score;
  // In double: the difference of two arbitrary int64 values may overflow int64.
  const double elapsed = static_cast<double>(now_ms) - static_cast<double>(entry.updated_ms);
  const double value =
      entry.score * std::exp2(-elapsed / static_cast<double>(params_.half_life_ms));
  return value > -params_.forget_below ? 0.0 : value;
}

double PeerScores::score(std::string_view peer, std::int64_t now_ms) const {
  const auto it = scores_.find(std::string(peer));
  return it == scores_.end() ? 0.0 : decayed(it->second, now_ms);
}

bool PeerScores::should_ban(std::string_view peer, std::int64_t now_ms) const {
  return score(peer, now_ms) <= -params_.ban_threshold;
}

void PeerScores::make_room(std::int64_t now_ms) {
  prune(now_ms);
  if (scores_.size() < params_.max_peers)
    return;
  // The least negative record carries the least information: drop it.
  auto victim = scores_.begin();
  double victim_score = decayed(victim->second, now_ms);
  for (auto it = std::next(scores_.begin()); it != scores_.end(); ++it) {
    const double s = decayed(it->second, now_ms);
    if (s > victim_score || (s == victim_score && it->first < victim->first)) {
      victim = it;
      victim_score = s;
    }
  }
  scores_.erase(victim);
}

double PeerScores::penalize(std::string_view peer, Offence offence, std::int64_t now_ms) {
  auto it = scores_.find(std::string(peer));
  if (it == scores_.end()) {
    if (scores_.size() >= params_.max_peers)
      make_room(now_ms);
    it = scores_.emplace(std::string(peer), Entry{0.0, now_ms}).first;
  }
  Entry &entry = it->second;
  entry.score = decayed(entry, now_ms) - params_.weight(offence);
  if (now_ms > entry.updated_ms)
    entry.updated_ms = now_ms;
  return entry.score;
}

void PeerScores::forget(std::string_view peer) {
  scores_.erase(std::string(peer));
}

void PeerScores::prune(std::int64_t now_ms) {
  for (auto it = scores_.begin(); it != scores_.end();) {
    if (decayed(it->second, now_ms) == 0.0)
      it = scores_.erase(it);
    else
      ++it;
  }
}

} // namespace mycelium::p2p
