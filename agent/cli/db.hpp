// Database access for `mycelium` through libpq. Every statement that carries a value goes through
// PQexecParams, so no value is ever spliced into SQL text.
#pragma once

#include "failure.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mycelium::cli {

// A statement that failed. `sqlstate` is empty when the failure happened on the client side
// (a lost connection, for example), where libpq has no code to give.
class DbError : public std::runtime_error {
public:
  DbError(std::string sqlstate, const std::string &message, std::string detail, std::string hint)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), detail_(std::move(detail)),
        hint_(std::move(hint)) {}

  const std::string &sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }
  const std::string &hint() const noexcept { return hint_; }

  // One line for the user: "<action> rejected by the database (CODE): message; detail; hint", or
  // "<action> failed: message" for a client-side failure.
  std::string describe(const std::string &action) const;

private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

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
  const char *command_status() const { return PQcmdStatus(result_.get()); }
  PGresult *get() const { return result_.get(); }

private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class Connection {
public:
  // `dsn` is a libpq connection string or URI; empty means libpq's environment (PGHOST, ...).
  // Throws Failure with libpq's message when the database cannot be reached.
  explicit Connection(const std::string &dsn);

  // Runs one statement with text parameters ($1, $2, ...). Throws DbError when it fails.
  Result exec(const char *sql, const std::vector<std::string> &params = {});

  // BEGIN, COMMIT and ROLLBACK.
  void begin() { exec("BEGIN"); }
  // Throws DbError when the transaction did not commit.
  void commit();
  // Best effort: used on the way out of a failed transaction, so it never throws.
  void rollback() noexcept;

private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

} // namespace mycelium::cli
