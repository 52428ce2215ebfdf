// The agent's log lines: `2026-11-22T03:04:05.123Z LEVEL message`, one entry per line.
#include "agent/log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mycelium::agent;
using namespace std::chrono;

// 2026-11-22T03:04:05.123Z
const system_clock::time_point kWhen =
    system_clock::time_point(seconds(1795316645)) + milliseconds(123);

// Restores the global logger after each test.
class Log : public ::testing::Test {
protected:
  void SetUp() override {
    saved_level_ = log_level();
    set_log_sink([this](const std::string &line) { lines_.push_back(line); });
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_level(saved_level_);
  }
  std::vector<std::string> lines_;
  LogLevel saved_level_ = LogLevel::info;
};

TEST_F(Log, LineFormat) {
  EXPECT_EQ(format_log_line(kWhen, LogLevel::info, "agent started"),
            "2026-11-22T03:04:05.123Z INFO agent started\n");
  EXPECT_EQ(format_log_line(kWhen, LogLevel::debug, ""), "2026-11-22T03:04:05.123Z DEBUG \n");
  EXPECT_EQ(format_log_line(kWhen, LogLevel::warn, "w"), "2026-11-22T03:04:05.123Z WARN w\n");
  EXPECT_EQ(format_log_line(kWhen, LogLevel::error, "e"), "2026-11-22T03:04:05.123Z ERROR e\n");
}

TEST_F(Log, Timestamps) {
  EXPECT_EQ(format_timestamp(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(kWhen + microseconds(999)), "2026-11-22T03:04:05.123Z"); // floor
  EXPECT_EQ(format_timestamp(system_clock::time_point{} - milliseconds(1)),
            "1969-12-31T23:59:59.999Z");
}

TEST_F(Log, PeerTextCannotForgeLines) {
  EXPECT_EQ(format_log_line(kWhen, LogLevel::warn, "bad\nTIME ERROR forged\r\x1b[31m\ttab"),
            "2026-11-22T03:04:05.123Z WARN bad\\nTIME ERROR forged\\r\\x1b[31m\ttab\n");
}

TEST_F(Log, LevelFilter) {
  set_log_level(LogLevel::warn);
  log_debug("d");
  log_info("i");
  log_warn("w");
  log_error("e");
  ASSERT_EQ(lines_.size(), 2u);
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN w\n)");
  EXPECT_TRUE(std::regex_match(lines_[0], line)) << lines_[0];
  EXPECT_EQ(lines_[1].substr(24), " ERROR e\n");
  EXPECT_FALSE(log_enabled(LogLevel::info));
  EXPECT_TRUE(log_enabled(LogLevel::error));
}

TEST_F(Log, LevelNames) {
  for (const LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error})
    EXPECT_EQ(parse_log_level(to_string(level)), level);
  EXPECT_EQ(parse_log_level("INFO"), std::nullopt);
  EXPECT_EQ(parse_log_level("warning"), std::nullopt);
}

TEST_F(Log, ConcurrentLinesStayWhole) {
  set_log_level(LogLevel::info);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i)
        log_info("thread " + std::to_string(t) + " line " + std::to_string(i));
    });
  for (auto &t : threads)
    t.join();
  ASSERT_EQ(lines_.size(), 800u);
  const std::regex line(R"(\S+Z INFO thread \d line \d+\n)");
  for (const auto &l : lines_)
    EXPECT_TRUE(std::regex_match(l, line)) << l;
}

} // namespace

// A problem that repeats every round is one warning, a new warning when its text changes, and
// one line when it ends, with the count; the repeats are only at debug.
TEST_F(Log, RepeatedProblemIsLoggedOnceAndItsEndWithTheCount) {
  set_log_level(LogLevel::info);
  RepeatedProblem reading("cannot read sync cursors");
  reading.succeeded(); // nothing failed yet: nothing to say
  EXPECT_TRUE(lines_.empty());
  for (int i = 0; i < 5; ++i)
    reading.failed("permission denied for view chain_heads");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("WARN cannot read sync cursors: permission denied for view chain_heads"),
            std::string::npos);
  reading.failed("server closed the connection");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[1].find("server closed the connection (failure 6)"), std::string::npos);
  reading.succeeded();
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_NE(lines_[2].find("INFO cannot read sync cursors: working again after 6 failures"),
            std::string::npos);
  reading.succeeded();
  EXPECT_EQ(lines_.size(), 3u);
  reading.failed("permission denied for view chain_heads");
  EXPECT_EQ(lines_.size(), 4u) << "a new episode is logged again";
  EXPECT_EQ(reading.failures(), 1);
}

// With debug on, the repeats are there, numbered.
TEST_F(Log, RepeatedProblemRepeatsAtDebug) {
  set_log_level(LogLevel::debug);
  RepeatedProblem p("x");
  p.failed("e");
  p.failed("e");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[1].find("DEBUG x: e (failure 2)"), std::string::npos);
}
