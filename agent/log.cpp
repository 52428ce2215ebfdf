#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace mycelium::agent {

namespace {

std::atomic<LogLevel> g_level{LogLevel::info};

// One mutex for the sink and for writing: a line is written whole or not at all.
std::mutex g_mutex;
LogSink g_sink;

const char *upper_name(LogLevel level) {
  switch (level) {
  case LogLevel::debug:
    return "DEBUG";
  case LogLevel::info:
    return "INFO";
  case LogLevel::warn:
    return "WARN";
  case LogLevel::error:
    return "ERROR";
  }
  return "?";
}

void append_escaped(std::string &out, std::string_view message) {
  static const char kHex[] = "0123456789abcdef";
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += '\t';
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
}

} // namespace

const char *to_string(LogLevel level) {
  switch (level) {
  case LogLevel::debug:
    return "debug";
  case LogLevel::info:
    return "info";
  case LogLevel::warn:
    return "warn";
  case LogLevel::error:
    return "error";
  }
  return "?";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (const LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error})
    if (text == to_string(level))
      return level;
  return std::nullopt;
}

std::string format_timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  // Floor, not truncation toward zero, so times before 1970 still print a valid millisecond.
  const auto ms = floor<milliseconds>(when.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buf[96]; // room for any int the compiler can imagine, so it proves no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

std::string format_unix_ms(std::int64_t unix_ms) {
  return format_timestamp(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

std::string format_log_line(std::chrono::system_clock::time_point when, LogLevel level,
                            std::string_view message) {
  std::string line = format_timestamp(when);
  line += ' ';
  line += upper_name(level);
  line += ' ';
  append_escaped(line, message);
  line += '\n';
  return line;
}

void set_log_level(LogLevel level) {
  g_level.store(level, std::memory_order_relaxed);
}

LogLevel log_level() {
  return g_level.load(std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) {
  return level >= log_level();
}

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = std::move(sink);
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level))
    return;
  // Format outside the lock; only the write is serialised.
  const std::string line = format_log_line(std::chrono::system_clock::now(), level, message);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sink) {
    g_sink(line);
    return;
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void RepeatedProblem::failed(const std::string &detail) {
  const FailureEpisode::News news = episode_.failed(detail);
  const long long n = episode_.failures();
  if (news == FailureEpisode::News::none)
    log_debug(what_ + ": " + detail + " (failure " + std::to_string(n) + ")");
  else
    log_warn(what_ + ": " + detail + (n == 1 ? "" : " (failure " + std::to_string(n) + ")"));
}

void RepeatedProblem::succeeded() {
  if (const long long n = episode_.succeeded())
    log_info(what_ + ": working again after " + std::to_string(n) +
             (n == 1 ? " failure" : " failures"));
}

} // namespace mycelium::agent
