#include "mycelium/pg/datum.hpp"

#include "mycelium/error.hpp"
#include "mycelium/unix_time.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
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

std::vector<Datum> array_arg(FunctionCallInfo fcinfo, int n, const char *field, Oid element_type,
                             int16 element_len, bool by_value, char align) {
  if (arg_is_null(fcinfo, n))
    throw Error(sqlstate::kNullValueNotAllowed, std::string(field) + " must not be NULL");
  ArrayType *array = call([&] { return PG_GETARG_ARRAYTYPE_P(n); });
  if (ARR_NDIM(array) > 1)
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(field) + " must be a one-dimensional array, got " +
                    std::to_string(ARR_NDIM(array)) + " dimensions");
  Datum *elements = nullptr;
  bool *nulls = nullptr;
  int count = 0;
  call([&] {
    deconstruct_array(array, element_type, element_len, by_value, align, &elements, &nulls, &count);
  });
  for (int i = 0; i < count; ++i)
    if (nulls[i])
      throw Error(sqlstate::kNullValueNotAllowed,
                  std::string(field) + "[" + std::to_string(i + 1) + "] must not be NULL");
  return std::vector<Datum>(elements, elements + count);
}

std::string text_of(Datum d) {
  text *t = call([d] { return DatumGetTextPP(d); });
  return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

std::vector<std::string> text_array_arg(FunctionCallInfo fcinfo, int n, const char *field) {
  std::vector<std::string> out;
  for (Datum d : array_arg(fcinfo, n, field, TEXTOID, -1, false, TYPALIGN_INT))
    out.push_back(text_of(d));
  return out;
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
