// Conversions between PostgreSQL Datums and C++ values. Each one that can raise (detoasting,
// palloc) goes through pg::call, so SQL function bodies can use them among C++ objects.
#pragma once

#include "mycelium/pg/guard.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::pg {

bool arg_is_null(FunctionCallInfo fcinfo, int n);

// Argument n, NULL refused: each throws Error 22023 "<field> must not be NULL". (The argument
// helpers of every SQL function: one place, one message.)
std::string text_arg(FunctionCallInfo fcinfo, int n, const char *field);
std::int32_t int4_arg(FunctionCallInfo fcinfo, int n, const char *field);
std::int64_t int8_arg(FunctionCallInfo fcinfo, int n, const char *field);

// A one-dimensional array argument's elements. NULL (the array or an element) is refused with
// 22004 naming the argument ("<field>[i]"); more dimensions with 22023.
std::vector<Datum> array_arg(FunctionCallInfo fcinfo, int n, const char *field, Oid element_type,
                             int16 element_len, bool by_value, char align);
// A text[] argument as strings (array_arg's rules).
std::vector<std::string> text_array_arg(FunctionCallInfo fcinfo, int n, const char *field);
// A text Datum's contents.
std::string text_of(Datum d);

Datum text_datum(std::string_view value);
Datum bytea_datum(const std::vector<std::uint8_t> &bytes);

// A whole copy of a varlena Datum (detoasted, decompressed) in `memory`: for a value that must
// outlive the tuple it came from (a trigger's row kept until the statement's end).
Datum detoasted_copy(Datum value, MemoryContext memory);

// PostgreSQL's text form of a jsonb Datum (the input to canonical_json).
std::string jsonb_text(Datum value);

// A TimestampTz (microseconds since 2000-01-01) as microseconds since the Unix epoch, the form
// every signed time takes (SIGNING.md): core's unix_us_from_postgres (unix_time.hpp). Cannot
// raise; throws Error 22008 for ±infinity and times after 294247 (never for the clock's).
std::int64_t unix_us(TimestampTz t);

} // namespace mycelium::pg
