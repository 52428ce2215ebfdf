// Reads columns of a trigger's row by name, through the guards.
#pragma once

#include "mycelium/pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "commands/trigger.h"
}

#include <cstdint>
#include <optional>
#include <string>

namespace mycelium::pg {

class TriggerRow {
public:
  TriggerRow(HeapTuple tuple, TupleDesc desc) : tuple_(tuple), desc_(desc) {}

  // A text column; NULL throws Error 22023 naming the column.
  std::string text(const char *column) const;
  std::int64_t int4(const char *column) const;
  // A non-NULL column's raw Datum (NULL throws 22023).
  Datum datum(const char *column) const;

private:
  Datum get(const char *column, bool &is_null) const;
  HeapTuple tuple_;
  TupleDesc desc_;
};

// The trigger's context, checked: called as a row-level BEFORE trigger.
TriggerData *row_trigger_data(FunctionCallInfo fcinfo, const char *name);
// The same, for a row-level AFTER trigger.
TriggerData *after_row_trigger_data(FunctionCallInfo fcinfo, const char *name);

} // namespace mycelium::pg
