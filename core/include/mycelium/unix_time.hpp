// Times as PostgreSQL keeps them (a timestamptz: microseconds since 2000-01-01 00:00:00 UTC) and
// as they are signed (Unix microseconds, since 1970-01-01 00:00:00 UTC: schemas/SIGNING.md, the
// created_at of an audit entry, the issued_at of a replica control). The one conversion in C++;
// in SQL it is mycelium._timestamptz_to_us and mycelium._us_to_timestamptz (the extension's
// script), and tests/unit/unix_time_test.cpp holds the two to the same numbers on the timestamps
// of sql/unix_time.sql, the expected output of which pg_regress checks against a server.
#pragma once

#include <cstdint>

namespace mycelium {

// 2000-01-01 00:00:00 UTC in Unix microseconds: 10957 days.
inline constexpr std::int64_t kPostgresEpochUnixUs = 946'684'800'000'000;

// PostgreSQL's finite timestamps, in its microseconds, are [kPostgresTimestampMin,
// kPostgresTimestampEnd): 4714-11-24 00:00:00 UTC BC up to 294277-01-01 00:00:00 UTC
// (datatype/timestamp.h's MIN_TIMESTAMP and END_TIMESTAMP; -infinity and infinity are INT64_MIN
// and INT64_MAX).
inline constexpr std::int64_t kPostgresTimestampMin = -211'813'488'000'000'000;
inline constexpr std::int64_t kPostgresTimestampEnd = 9'223'371'331'200'000'000;

// The Unix microseconds of a PostgreSQL timestamp. Throws Error 22008 for ±infinity, a value
// outside PostgreSQL's range, and a time whose Unix microseconds do not fit an int64 (after
// 294247-01-10 04:00:54.775807 UTC), where SQL's conversion raises an error too.
std::int64_t unix_us_from_postgres(std::int64_t postgres_us);

// The PostgreSQL timestamp of Unix microseconds. Throws Error 22008 for a time outside
// PostgreSQL's range (SQL: "timestamp out of range").
std::int64_t postgres_us_from_unix(std::int64_t unix_us);

} // namespace mycelium
