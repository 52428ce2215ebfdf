#include "mycelium/pg/spi.hpp"

#include "mycelium/error.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

#include <vector>

namespace mycelium::pg {

SpiConnection::SpiConnection() : uncaught_at_start_(std::uncaught_exceptions()) {
  const int rc = call([] { return SPI_connect(); });
  if (rc != SPI_OK_CONNECT)
    throw Error(sqlstate::kInternalError, "SPI_connect failed");
}

SpiConnection::~SpiConnection() {
  if (std::uncaught_exceptions() > uncaught_at_start_)
    return;
  // SPI_finish only fails when not connected, which this object rules out; a destructor must
  // not throw, so a failure here could only be reported, not recovered.
  try {
    call([] { return SPI_finish(); });
  } catch (...) {
  }
}

Param text_param(std::string_view value) {
  Datum d = call([&] {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
  return {TEXTOID, d, false};
}

Param optional_text_param(const std::optional<std::string> &value) {
  if (!value)
    return {TEXTOID, Datum(0), true};
  return text_param(*value);
}

Param int4_param(std::int32_t value) {
  return {INT4OID, Int32GetDatum(value), false};
}

Param int8_param(std::int64_t value) {
  return {INT8OID, Int64GetDatum(value), false};
}

Param bytea_param(const std::uint8_t *data, std::size_t size) {
  Datum d = call([&] {
    bytea *b = static_cast<bytea *>(palloc(VARHDRSZ + size));
    SET_VARSIZE(b, VARHDRSZ + size);
    memcpy(VARDATA(b), data, size);
    return PointerGetDatum(b);
  });
  return {BYTEAOID, d, false};
}

namespace {

// The rows of this SPI level's previous statement. They would otherwise stay until SPI_finish,
// so a loop of paged reads (verify_audit over a large shard) would hold every page at once.
// Safe because the result_* functions copy what they read: no Datum outlives its statement.
// SPI_tuptable is only ever this level's (SPI_connect clears it; SPI_finish restores the outer
// level's for the outer level).
void free_previous_result() {
  if (SPI_tuptable) // SPI_freetuptable cannot raise: it warns about a table not of this level
    SPI_freetuptable(SPI_tuptable);
  SPI_tuptable = nullptr;
}

} // namespace

std::uint64_t Statement::execute(std::initializer_list<Param> params) {
  const int n = static_cast<int>(params.size());
  Oid types[16];
  Datum values[16];
  char nulls[16];
  if (n > 16)
    throw Error(sqlstate::kInternalError, "too many SPI parameters");
  int i = 0;
  for (const Param &p : params) {
    types[i] = p.type;
    values[i] = p.value;
    nulls[i] = p.is_null ? 'n' : ' ';
    ++i;
  }
  if (!plan_) {
    // Always the generic plan: these statements run once per row in hot paths, and for statements
    // on the partitioned mycelium.data the planner would otherwise keep choosing custom plans
    // (plan-time pruning looks cheaper), i.e. plan again on every execution. The generic plan
    // prunes partitions at executor start-up instead.
    SPIPlanPtr plan =
        call([&] { return SPI_prepare_cursor(sql_.c_str(), n, types, CURSOR_OPT_GENERIC_PLAN); });
    if (!plan)
      throw Error(sqlstate::kInternalError, std::string("SPI_prepare failed: ") + sql_);
    call([&] { return SPI_keepplan(plan); });
    plan_ = plan;
  }
  free_previous_result();
  const int rc = call([&] { return SPI_execute_plan(plan_, values, nulls, false, 0); });
  if (rc < 0) // SPI_result_code_string cannot raise: a constant, or a static buffer
    throw Error(sqlstate::kInternalError, std::string("SPI_execute_plan failed (") +
                                              SPI_result_code_string(rc) + "): " + sql_);
  return SPI_processed;
}

Statement &PerRelationStatements::for_relation(Oid relid) {
  const char *name = call([&] {
    char *rel = get_rel_name(relid);
    char *nsp = rel ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
    return rel && nsp ? quote_qualified_identifier(nsp, rel) : static_cast<char *>(nullptr);
  });
  if (!name)
    throw Error(sqlstate::kUndefinedObject,
                "relation " + std::to_string(relid) + " does not exist");
  auto it = statements_.find(relid);
  if (it == statements_.end() || it->second.first != name) {
    if (it != statements_.end()) {
      it->second.second.release();
      statements_.erase(it);
    }
    it = statements_.emplace(relid, std::make_pair(std::string(name), Statement(make_sql_(name))))
             .first;
  }
  return it->second.second;
}

void Statement::release() {
  if (plan_)
    call([&] { return SPI_freeplan(plan_); });
  plan_ = nullptr;
}

std::uint64_t execute_sql(const std::string &sql) {
  free_previous_result();
  const int rc = call([&] { return SPI_execute(sql.c_str(), false, 0); });
  if (rc < 0) // SPI_result_code_string cannot raise: a constant, or a static buffer
    throw Error(sqlstate::kInternalError,
                std::string("SPI_execute failed (") + SPI_result_code_string(rc) + ")");
  return SPI_processed;
}

namespace {

Datum result_datum(std::uint64_t row, int column, bool &is_null) {
  if (!SPI_tuptable || row >= SPI_processed)
    throw Error(sqlstate::kInternalError, "SPI result row out of range");
  return call([&] {
    return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &is_null);
  });
}

} // namespace

bool result_is_null(std::uint64_t row, int column) {
  bool is_null = false;
  result_datum(row, column, is_null);
  return is_null;
}

std::optional<std::string> result_text(std::uint64_t row, int column) {
  if (!SPI_tuptable || row >= SPI_processed)
    throw Error(sqlstate::kInternalError, "SPI result row out of range");
  // SPI_getvalue runs the column type's output function, so any type reads as text.
  char *s =
      call([&] { return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column); });
  if (!s)
    return std::nullopt;
  std::string out(s);
  pfree(s); // cannot raise; SPI_getvalue's copy would otherwise live until SPI_finish
  return out;
}

std::optional<std::int64_t> result_int(std::uint64_t row, int column) {
  bool is_null = false;
  Datum d = result_datum(row, column, is_null);
  if (is_null)
    return std::nullopt;
  // SPI_gettypeid cannot raise: a column out of range gives InvalidOid, not an error.
  switch (SPI_gettypeid(SPI_tuptable->tupdesc, column)) {
  case INT2OID:
    return DatumGetInt16(d);
  case INT4OID:
    return DatumGetInt32(d);
  case INT8OID:
    return DatumGetInt64(d);
  case OIDOID:
    return DatumGetObjectId(d);
  default:
    throw Error(sqlstate::kInternalError, "SPI result column is not an integer");
  }
}

std::optional<bool> result_bool(std::uint64_t row, int column) {
  bool is_null = false;
  Datum d = result_datum(row, column, is_null);
  if (is_null)
    return std::nullopt;
  return DatumGetBool(d);
}

std::optional<std::string> result_bytes(std::uint64_t row, int column) {
  bool is_null = false;
  Datum d = result_datum(row, column, is_null);
  if (is_null)
    return std::nullopt;
  bytea *b = call([&] { return DatumGetByteaPP(d); });
  std::string out(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
  if (reinterpret_cast<Pointer>(b) != DatumGetPointer(d))
    pfree(b); // a detoasted copy; cannot raise
  return out;
}

std::string quote_identifier(std::string_view name) {
  const std::string copy(name);
  const char *quoted = call([&] { return ::quote_identifier(copy.c_str()); });
  return quoted;
}

std::string quote_literal(std::string_view value) {
  const std::string copy(value);
  const char *quoted = call([&] { return ::quote_literal_cstr(copy.c_str()); });
  return quoted;
}

} // namespace mycelium::pg
