// The one rule behind the agent's repeated failures (a statement refused every round, the
// database away, a peer that cannot be reached): an episode starts with the first failure and
// ends with the first success; its first failure is news, and so is a change of its text; the
// failures in between are only counted. The callers word the lines and pick the levels, so that
// an outage is one line when it starts and one when it ends, not one per attempt.
#pragma once

#include <cstdint>
#include <string>

namespace mycelium::agent {

class FailureEpisode {
public:
  enum class News { none, started, changed };

  // One more failure, at `now_ms` (the episode's start time when it is the first).
  News failed(const std::string &detail, std::int64_t now_ms = 0);
  // The episode ends; returns how many failures it had (0 when none was running).
  long long succeeded();

  bool running() const { return failures_ > 0; }
  long long failures() const { return failures_; }
  std::int64_t started_ms() const { return started_ms_; }
  const std::string &first_detail() const { return first_; }
  const std::string &last_detail() const { return last_; }

private:
  long long failures_ = 0;
  std::int64_t started_ms_ = 0;
  std::string first_, last_;
};

} // namespace mycelium::agent
