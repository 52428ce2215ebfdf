#include "mycelium/unix_time.hpp"

#include "mycelium/error.hpp"

#include <limits>
#include <string>

namespace mycelium {

namespace {

[[noreturn]] void out_of_range(const std::string &what) {
  throw Error(sqlstate::kDatetimeFieldOverflow, what);
}

} // namespace

std::int64_t unix_us_from_postgres(std::int64_t postgres_us) {
  if (postgres_us == std::numeric_limits<std::int64_t>::min() ||
      postgres_us == std::numeric_limits<std::int64_t>::max())
    out_of_range("an infinite timestamp has no Unix microseconds");
  if (postgres_us < kPostgresTimestampMin || postgres_us >= kPostgresTimestampEnd)
    out_of_range("timestamp out of range: " + std::to_string(postgres_us) +
                 " microseconds from 2000-01-01");
  if (postgres_us > std::numeric_limits<std::int64_t>::max() - kPostgresEpochUnixUs)
    out_of_range("timestamp out of range for Unix microseconds: " + std::to_string(postgres_us) +
                 " microseconds from 2000-01-01 is after 294247-01-10 04:00:54.775807 UTC");
  return postgres_us + kPostgresEpochUnixUs;
}

std::int64_t postgres_us_from_unix(std::int64_t unix_us) {
  // Every int64 of Unix microseconds is before PostgreSQL's end (294247 < 294277): only the
  // start can be out of reach, and below it the subtraction is never reached.
  if (unix_us < kPostgresTimestampMin + kPostgresEpochUnixUs)
    out_of_range("timestamp out of range: " + std::to_string(unix_us) + " Unix microseconds");
  return unix_us - kPostgresEpochUnixUs;
}

} // namespace mycelium
