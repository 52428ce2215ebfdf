// PostgreSQL timestamps and Unix microseconds (core's unix_time.hpp).
#include "mycelium/error.hpp"
#include "mycelium/unix_time.hpp"

#include <gtest/gtest.h>

#include <limits>

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

} // namespace
