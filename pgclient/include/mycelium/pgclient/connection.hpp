// One libpq connection, as the agent, the CLI and the benchmarks use it. Every value travels as a
// parameter of PQexecParams or PQexecPrepared, never spliced into SQL text; every failure throws
// Error with the server's fields.
#pragma once

#include "mycelium/pgclient/connect.hpp"
#include "mycelium/pgclient/error.hpp"

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mycelium::pgclient {

// A text parameter; nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;
// A row as text, NULL as nullopt.
using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// A statement's result, freed with it.
class Result {
public:
  explicit Result(PGresult *result) : result_(result, &PQclear) {}

  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The text form of a field; empty for NULL (check is_null where NULL matters).
  std::string text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
  }
  // Every row as text.
  Rows all() const;
  const char *command_status() const { return PQcmdStatus(result_.get()); }
  PGresult *get() const { return result_.get(); }

private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class Connection {
public:
  // Opens the connection as connect() does (client_encoding UTF8). Throws ConnectError.
  Connection(const std::string &dsn, const char *application_name, const Overrides &overrides = {})
      : conn_(connect(dsn, application_name, overrides)) {}

  // Runs one statement with text parameters ($1, $2, ...; types left to the server, which casts
  // where the SQL says). Throws Error.
  Result exec(const std::string &sql, const Params &params = {});
  // exec() and every row as text.
  Rows query(const std::string &sql, const Params &params = {}) { return exec(sql, params).all(); }
  // exec() and the first column of the first row as text ("" when there is none, or NULL).
  std::string scalar(const std::string &sql, const Params &params = {});
  // A named prepared statement, and a run of it with `count` text parameters (the benchmarks'
  // hot loops, where building Params per row would be measured too).
  void prepare(const std::string &name, const std::string &sql);
  Result exec_prepared(const std::string &name, int count, const char *const *values);

  void begin() { exec("BEGIN"); }
  // Throws Error when the transaction did not commit (COMMIT of a failed transaction "succeeds"
  // with the tag ROLLBACK: never reported as a write).
  void commit();
  // Best effort, on the way out of a failed transaction: never throws.
  void rollback() noexcept;

  // Whether the connection is up; false after the server went away.
  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  // Inside a transaction block (open, or aborted by a failed statement).
  bool in_transaction() const {
    const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }
  int backend_pid() const { return PQbackendPID(conn_.get()); }

private:
  // Returns `result` when the statement succeeded; throws Error with the server's fields.
  Result checked(PGresult *result) const;

  pgclient::Handle conn_;
};

} // namespace mycelium::pgclient
