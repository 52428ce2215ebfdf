#include "failure_episode.hpp"

namespace mycelium::agent {

FailureEpisode::News FailureEpisode::failed(const std::string &detail, std::int64_t now_ms) {
  if (failures_++ == 0) {
    started_ms_ = now_ms;
    first_ = last_ = detail;
    return News::started;
  }
  if (detail == last_)
    return News::none;
  last_ = detail;
  return News::changed;
}

long long FailureEpisode::succeeded() {
  const long long had = failures_;
  failures_ = 0;
  started_ms_ = 0;
  first_.clear();
  last_.clear();
  return had;
}

} // namespace mycelium::agent
