#include "mycelium/pg/datum.hpp"

#include "mycelium/error.hpp"
#include "mycelium/unix_time.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace mycelium::pg {

bool arg_is_null(FunctionCallInfo fcinfo, int n) {
  return n >= PG_NARGS() || PG_ARGISNULL(n);
}

std::string text_arg(FunctionCallInfo fcinfo, int n, const char *field) {
  if (arg_is_null(fcinfo, n))
    throw Error(sqlstate::kInvalidParameterValue, std::string(field) + " must not be NULL");
  text *value = call([&] { return PG_GETARG_TEXT_PP(n); });
  return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

namespace {
void refuse_null(FunctionCallInfo fcinfo, int n, const char *field) {
  if (arg_is_null(fcinfo, n))
    throw Error(sqlstate::kInvalidParameterValue, std::string(field) + " must not be NULL");
}
} // namespace

// PG_GETARG_INT32/INT64 cannot raise: they read a by-value Datum the caller checked is not NULL.
std::int32_t int4_arg(FunctionCallInfo fcinfo, int n, const char *field) {
  refuse_null(fcinfo, n, field);
  return PG_GETARG_INT32(n);
}

std::int64_t int8_arg(FunctionCallInfo fcinfo, int n, const char *field) {
  refuse_null(fcinfo, n, field);
  return PG_GETARG_INT64(n);
}

Datum text_datum(std::string_view value) {
  return call([&] {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

Datum bytea_datum(const std::vector<std::uint8_t> &bytes) {
  return call([&] {
    bytea *b = static_cast<bytea *>(palloc(VARHDRSZ + bytes.size()));
    SET_VARSIZE(b, VARHDRSZ + bytes.size());
    memcpy(VARDATA(b), bytes.data(), bytes.size());
    return PointerGetDatum(b);
  });
}

std::string jsonb_text(Datum value) {
  char *text = call([&] {
    Jsonb *jb = DatumGetJsonbP(value);
    return JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
  });
  return text;
}

// Core's constants (unix_time.hpp, which cannot include PostgreSQL's headers) are PostgreSQL's.
static_assert(kPostgresEpochUnixUs ==
              static_cast<std::int64_t>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
static_assert(kPostgresTimestampMin == MIN_TIMESTAMP && kPostgresTimestampEnd == END_TIMESTAMP);
static_assert(DT_NOBEGIN == PG_INT64_MIN && DT_NOEND == PG_INT64_MAX);

std::int64_t unix_us(TimestampTz t) {
  return unix_us_from_postgres(t);
}

Datum detoasted_copy(Datum value, MemoryContext memory) {
  return call([value, memory] {
    const MemoryContext old = MemoryContextSwitchTo(memory);
    const Datum copy = PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
    MemoryContextSwitchTo(old);
    return copy;
  });
}

} // namespace mycelium::pg
