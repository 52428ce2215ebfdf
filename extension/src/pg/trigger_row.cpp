#include "mycelium/pg/trigger_row.hpp"

#include "mycelium/error.hpp"

extern "C" {
#include "executor/spi.h"
#include "utils/builtins.h"
}

namespace mycelium::pg {

Datum TriggerRow::get(const char *column, bool &is_null) const {
  // SPI_fnumber cannot raise: it compares names and returns SPI_ERROR_NOATTRIBUTE for none.
  const int attnum = SPI_fnumber(desc_, column);
  if (attnum <= 0)
    throw Error(sqlstate::kInternalError, std::string("trigger row has no column ") + column);
  return call([&] { return SPI_getbinval(tuple_, desc_, attnum, &is_null); });
}

Datum TriggerRow::datum(const char *column) const {
  bool is_null = false;
  Datum d = get(column, is_null);
  if (is_null)
    throw Error(sqlstate::kInvalidParameterValue, std::string(column) + " must not be NULL");
  return d;
}

std::string TriggerRow::text(const char *column) const {
  Datum d = datum(column);
  // Not TextDatumGetCString: its cast to `text *` would name this member function.
  char *s = call([&] { return text_to_cstring(reinterpret_cast<::text *>(DatumGetPointer(d))); });
  return s;
}

std::int64_t TriggerRow::int4(const char *column) const {
  return DatumGetInt32(datum(column));
}

TriggerData *row_trigger_data(FunctionCallInfo fcinfo, const char *name) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error("39P01", std::string(name) + " must be called as a trigger");
  auto *data = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_BEFORE(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event))
    throw Error("39P01", std::string(name) + " must be a BEFORE ... FOR EACH ROW trigger");
  return data;
}

TriggerData *after_row_trigger_data(FunctionCallInfo fcinfo, const char *name) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error("39P01", std::string(name) + " must be called as a trigger");
  auto *data = reinterpret_cast<TriggerData *>(fcinfo->context);
  if (!TRIGGER_FIRED_AFTER(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event))
    throw Error("39P01", std::string(name) + " must be an AFTER ... FOR EACH ROW trigger");
  return data;
}

} // namespace mycelium::pg
