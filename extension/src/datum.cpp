#include "mycelium/pg/datum.hpp"

#include "mycelium/error.hpp"

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

Datum text_datum(std::string_view value) {
  return call([&] {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

} // namespace mycelium::pg
