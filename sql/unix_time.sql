-- Unix microseconds, the form every signed time takes (schemas/SIGNING.md), of a timestamptz and
-- back, in SQL (mycelium._timestamptz_to_us and _us_to_timestamptz): exact to the microsecond
-- over timestamptz's whole range, whatever the session's time zone. Core's C++ conversion
-- (unix_time.hpp) must give the same numbers: tests/unit/unix_time_test.cpp reads this file's
-- expected output and converts each postgres_us (the timestamp as PostgreSQL keeps it, in
-- microseconds from 2000-01-01) to unix_us itself.
SET TimeZone = 'Pacific/Chatham'; -- UTC+12:45, +13:45 in summer: nothing may depend on it
SET DateStyle = 'ISO, YMD';
SELECT label, t AT TIME ZONE 'UTC' AS utc,
       (extract(epoch FROM t - '2000-01-01 00:00:00+00') * 1000000)::bigint AS postgres_us,
       mycelium._timestamptz_to_us(t) AS unix_us,
       mycelium._us_to_timestamptz(mycelium._timestamptz_to_us(t)) = t AS round_trip
  FROM (VALUES ('the first timestamptz', '4714-11-24 00:00:00+00 BC'::timestamptz),
               ('before the common era', '0001-12-31 23:59:59.999999+00 BC'),
               ('proleptic Gregorian', '1582-10-10 12:00:00+00'),
               ('before 1970', '1969-12-31 23:59:59.999999+00'),
               ('the Unix epoch', '1970-01-01 00:00:00+00'),
               ('one microsecond later', '1970-01-01 00:00:00.000001+00'),
               ('just before 2000', '1999-12-31 23:59:59.999999+00'),
               ('PostgreSQL''s epoch', '2000-01-01 00:00:00+00'),
               ('a leap day', '2024-02-29 12:34:56.789012+00'),
               ('summer time ends here', '2026-04-04 13:59:59.999999+00'),
               ('the clocks go back an hour', '2026-04-04 14:00:00+00'),
               ('past a float8 of microseconds', '2255-06-05 23:47:34.740993+00'),
               ('the last Unix microsecond', '294247-01-10 04:00:54.775807+00')) v(label, t)
 ORDER BY t;

-- Where a bigint of Unix microseconds ends, and at infinity, the conversion fails (as core's
-- throws); so does a time before the first timestamptz.
SELECT mycelium._timestamptz_to_us('294247-01-10 04:00:54.775808+00');
SELECT mycelium._timestamptz_to_us('infinity');
SELECT mycelium._us_to_timestamptz(-210866803200000001);
SELECT mycelium._us_to_timestamptz(9223372036854775807) AT TIME ZONE 'UTC' AS last;
