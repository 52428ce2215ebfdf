// The agent's log: one line per entry on stderr, `2026-11-22T03:04:05.123Z LEVEL message`, so that
// journald, `docker logs` and grep all see the same thing and no log shipper is needed.
#pragma once

#include "failure_episode.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mycelium::agent {

enum class LogLevel { debug, info, warn, error };

// "debug", "info", "warn", "error": the spelling the configuration file uses.
const char *to_string(LogLevel level);
std::optional<LogLevel> parse_log_level(std::string_view text);

// UTC, millisecond precision, RFC 3339: 2026-11-22T03:04:05.123Z.
std::string format_timestamp(std::chrono::system_clock::time_point when);
// The same for the protocol's Unix milliseconds (ban ends, record expiries).
std::string format_unix_ms(std::int64_t unix_ms);

// One complete line, newline included. Line breaks and other control characters in `message`
// are escaped (\n, \x1b, ...): messages carry text from peers, and a peer must not be able to
// forge log entries or send escape sequences to an operator's terminal.
std::string format_log_line(std::chrono::system_clock::time_point when, LogLevel level,
                            std::string_view message);

// Entries below this level are dropped. Default: info.
void set_log_level(LogLevel level);
LogLevel log_level();
// Test this before building an expensive message.
bool log_enabled(LogLevel level);

// Where finished lines go; an empty function restores the default (stderr). For tests. The sink
// is called with the log's lock held, so it must not log itself.
using LogSink = std::function<void(const std::string &line)>;
void set_log_sink(LogSink sink);

// Thread-safe: lines from different threads never interleave.
void log(LogLevel level, std::string_view message);
inline void log_debug(std::string_view message) {
  log(LogLevel::debug, message);
}
inline void log_info(std::string_view message) {
  log(LogLevel::info, message);
}
inline void log_warn(std::string_view message) {
  log(LogLevel::warn, message);
}
inline void log_error(std::string_view message) {
  log(LogLevel::error, message);
}

// A problem that may repeat every round (a statement the database refuses each second): logged
// at warn when it starts and whenever its text changes, at debug while it repeats, and at info
// when it ends, with the number of failures. One object per place that can fail.
class RepeatedProblem {
public:
  explicit RepeatedProblem(std::string what) : what_(std::move(what)) {}
  void failed(const std::string &detail);
  void succeeded();
  long long failures() const { return episode_.failures(); }

private:
  std::string what_;
  FailureEpisode episode_;
};

} // namespace mycelium::agent
