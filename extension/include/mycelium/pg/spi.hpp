// SPI through the guards: statements prepared once per backend, parameters and results as C++
// values. Every SPI call goes through pg::call.
#pragma once

#include "mycelium/pg/guard.hpp"

extern "C" {
#include "executor/spi.h"
}

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mycelium::pg {

// One SPI connection for the object's lifetime. When an exception is unwinding, it leaves the
// connection to PostgreSQL's (sub)transaction abort, which the exception always leads to:
// SPI_finish in the middle of a failed statement is not safe.
class SpiConnection {
public:
  SpiConnection();
  ~SpiConnection();
  SpiConnection(const SpiConnection &) = delete;
  SpiConnection &operator=(const SpiConnection &) = delete;

private:
  int uncaught_at_start_;
};

struct Param {
  Oid type;
  Datum value;
  bool is_null;
};
Param text_param(std::string_view value);
Param optional_text_param(const std::optional<std::string> &value);
Param int4_param(std::int32_t value);
Param int8_param(std::int64_t value);
Param bytea_param(const std::uint8_t *data, std::size_t size);
inline Param datum_param(Oid type, Datum value, bool is_null = false) {
  return {type, value, is_null};
}

// A statement prepared on first use and kept for the backend's life (the plan cache replans it
// when the tables change). Declare as a function-local static.
class Statement {
public:
  explicit Statement(std::string sql) : sql_(std::move(sql)) {}
  // Runs the statement; returns SPI_processed. Results are read with the accessors below until
  // the next execute or the end of the SPI connection. Never SPI's read-only mode: that mode
  // runs on the caller's snapshot and would not see what earlier statements of the same
  // function wrote.
  std::uint64_t execute(std::initializer_list<Param> params);
  // Frees the kept plan (plans are kept for the backend's life otherwise).
  void release();

private:
  std::string sql_;
  SPIPlanPtr plan_ = nullptr;
};

// Statements about one relation (a shard's partition), prepared once per relation. A generic
// plan over the partitioned mycelium.data would lock every partition on every execution, which
// grows with the number of shards; naming the partition keeps each write O(1) in shards.
class PerRelationStatements {
public:
  // `make_sql` turns the relation's quoted, schema-qualified name into the statement.
  using MakeSql = std::string (*)(const std::string &relation);
  explicit PerRelationStatements(MakeSql make_sql) : make_sql_(make_sql) {}
  Statement &for_relation(Oid relid);

private:
  MakeSql make_sql_;
  // relid -> (name the statement was made for, statement); a dropped relation's Oid can be
  // reused by another, so the name is checked on every lookup.
  std::unordered_map<Oid, std::pair<std::string, Statement>> statements_;
};

// Runs a one-off statement (DDL); `sql` must come from code or be quoted with quote_identifier.
std::uint64_t execute_sql(const std::string &sql);

// Accessors for the last result (SPI_tuptable); columns are 1-based as in SPI.
bool result_is_null(std::uint64_t row, int column);
std::optional<std::string> result_text(std::uint64_t row, int column);
std::optional<std::int64_t> result_int(std::uint64_t row, int column);
std::optional<bool> result_bool(std::uint64_t row, int column);
std::optional<std::string> result_bytes(std::uint64_t row, int column);

// PostgreSQL quoting of an identifier, and of a string literal (for DDL, which takes no
// parameters).
std::string quote_identifier(std::string_view name);
std::string quote_literal(std::string_view value);

} // namespace mycelium::pg
