#include "db.hpp"

#include "mycelium/pgclient/connect.hpp"

#include <cstring>

namespace mycelium::cli {

namespace {

std::string field(const PGresult *result, int code) {
  const char *value = PQresultErrorField(result, code);
  return value ? value : "";
}

} // namespace

std::string DbError::describe(const std::string &action) const {
  if (sqlstate_.empty())
    return action + " failed: " + pgclient::one_line(what());
  std::string text =
      action + " rejected by the database (" + sqlstate_ + "): " + pgclient::one_line(what());
  if (!detail_.empty())
    text += "; " + pgclient::one_line(detail_);
  if (!hint_.empty())
    text += "; hint: " + pgclient::one_line(hint_);
  return text;
}

Connection::Connection(const std::string &dsn) : conn_(nullptr, &PQfinish) {
  try {
    conn_ = pgclient::connect(dsn, "mycelium");
  } catch (const pgclient::ConnectError &e) {
    throw Failure(std::string("cannot connect to the database: ") + e.what());
  }
}

Result Connection::exec(const char *sql, const std::vector<std::string> &params) {
  std::vector<const char *> values;
  values.reserve(params.size());
  for (const std::string &param : params)
    values.push_back(param.c_str());
  // Text parameters with types left to the server (the SQL casts where it matters), text results.
  Result result(PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
  if (!result.get())
    throw DbError("", PQerrorMessage(conn_.get()), "", "");
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;
  std::string message = field(result.get(), PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty())
    message = PQresultErrorMessage(result.get());
  if (message.empty())
    message = PQerrorMessage(conn_.get());
  throw DbError(field(result.get(), PG_DIAG_SQLSTATE), message,
                field(result.get(), PG_DIAG_MESSAGE_DETAIL),
                field(result.get(), PG_DIAG_MESSAGE_HINT));
}

void Connection::commit() {
  const Result result = exec("COMMIT");
  // COMMIT of a transaction that already failed "succeeds" with the tag ROLLBACK; never report
  // that as a write.
  if (std::strcmp(result.command_status(), "COMMIT") != 0)
    throw DbError("", "the transaction was rolled back", "", "");
}

void Connection::rollback() noexcept {
  PGresult *result = PQexec(conn_.get(), "ROLLBACK");
  PQclear(result);
}

} // namespace mycelium::cli
