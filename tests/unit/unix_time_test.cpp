// PostgreSQL timestamps and Unix microseconds (core's unix_time.hpp), and the same conversion in
// SQL (the extension's mycelium._timestamptz_to_us and _us_to_timestamptz): the SQL side's
// numbers are expected/unix_time.out, which pg_regress compares with what a server computes
// (sql/unix_time.sql); this test reads them and converts every row itself, so that the two
// sides cannot drift.
#include "mycelium/error.hpp"
#include "mycelium/unix_time.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mycelium;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

void expect_out_of_range(std::int64_t postgres_us) {
  try {
    const std::int64_t unix_us = unix_us_from_postgres(postgres_us);
    ADD_FAILURE() << postgres_us << " converted to " << unix_us;
  } catch (const Error &e) {
    EXPECT_STREQ(e.sqlstate(), "22008") << e.what();
  }
}

TEST(UnixTime, TheEpochs) {
  EXPECT_EQ(unix_us_from_postgres(0), 946'684'800'000'000);
  EXPECT_EQ(unix_us_from_postgres(-946'684'800'000'000), 0);
  EXPECT_EQ(unix_us_from_postgres(-946'684'800'000'001), -1);
  EXPECT_EQ(postgres_us_from_unix(0), -946'684'800'000'000);
  EXPECT_EQ(postgres_us_from_unix(946'684'800'000'000), 0);
}

TEST(UnixTime, TheEndsOfTheRange) {
  // The first timestamptz, 4714-11-24 00:00:00 UTC BC, and the microsecond before it.
  EXPECT_EQ(unix_us_from_postgres(kPostgresTimestampMin), -210'866'803'200'000'000);
  expect_out_of_range(kPostgresTimestampMin - 1);
  EXPECT_EQ(postgres_us_from_unix(-210'866'803'200'000'000), kPostgresTimestampMin);
  EXPECT_THROW(postgres_us_from_unix(-210'866'803'200'000'001), Error);
  EXPECT_THROW(postgres_us_from_unix(kMin), Error);
  // The last Unix microsecond an int64 holds, 294247-01-10 04:00:54.775807 UTC, and after it.
  EXPECT_EQ(unix_us_from_postgres(kMax - kPostgresEpochUnixUs), kMax);
  expect_out_of_range(kMax - kPostgresEpochUnixUs + 1);
  expect_out_of_range(kPostgresTimestampEnd - 1);
  expect_out_of_range(kPostgresTimestampEnd);
  EXPECT_EQ(postgres_us_from_unix(kMax), kMax - kPostgresEpochUnixUs);
  // -infinity and infinity.
  expect_out_of_range(kMin);
  expect_out_of_range(kMax);
}

TEST(UnixTime, RoundTrips) {
  for (std::int64_t unix_us = -210'866'803'200'000'000; unix_us < kMax - 7'919'000'000'000'000;
       unix_us += 7'919'000'000'000'001) // about 1200 times across the range
    EXPECT_EQ(unix_us_from_postgres(postgres_us_from_unix(unix_us)), unix_us);
}

// The result rows of sql/unix_time.sql as pg_regress expects them: label | utc | postgres_us |
// unix_us | round_trip.
struct Row {
  std::string label, utc;
  std::int64_t postgres_us, unix_us;
  std::string round_trip;
};

std::string expected_output() {
  std::ifstream in(MYCELIUM_UNIX_TIME_EXPECTED);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(const std::string &s) {
  const std::size_t first = s.find_first_not_of(' ');
  return first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(' ') - first + 1);
}

std::vector<Row> rows(const std::string &out) {
  std::vector<Row> found;
  std::istringstream lines(out);
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::istringstream cut(line);
    for (std::string cell; std::getline(cut, cell, '|');)
      cells.push_back(trimmed(cell));
    if (cells.size() == 5 && cells[0] == "label" && cells[2] == "postgres_us") {
      in_table = true;
      std::getline(lines, line); // the dashes
      continue;
    }
    if (!in_table)
      continue;
    if (cells.size() != 5)
      break; // "(N rows)"
    found.push_back({cells[0], cells[1], std::stoll(cells[2]), std::stoll(cells[3]), cells[4]});
  }
  return found;
}

TEST(UnixTime, AgreesWithTheSqlConversion) {
  const std::string out = expected_output();
  ASSERT_FALSE(out.empty()) << "cannot read " << MYCELIUM_UNIX_TIME_EXPECTED;
  const std::vector<Row> table = rows(out);
  ASSERT_GE(table.size(), 10u) << "no result table in " << MYCELIUM_UNIX_TIME_EXPECTED;
  for (const Row &row : table) {
    SCOPED_TRACE(row.label + " (" + row.utc + ")");
    EXPECT_EQ(unix_us_from_postgres(row.postgres_us), row.unix_us);
    EXPECT_EQ(postgres_us_from_unix(row.unix_us), row.postgres_us);
    EXPECT_EQ(row.round_trip, "t");
  }
  // The last row is the last Unix microsecond; SQL refuses the next one, as C++ does.
  EXPECT_EQ(table.back().unix_us, kMax);
  EXPECT_NE(out.find("SELECT mycelium._timestamptz_to_us('294247-01-10 04:00:54.775808+00');\n"
                     "ERROR:"),
            std::string::npos);
  expect_out_of_range(table.back().postgres_us + 1);
}

} // namespace
