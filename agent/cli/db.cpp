#include "db.hpp"

#include <cstring>

namespace mycelium::cli {

namespace {

std::string field(const PGresult *result, int code) {
  const char *value = PQresultErrorField(result, code);
  return value ? value : "";
}

} // namespace

std::string one_line(const std::string &text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    const std::size_t first = text.find_first_not_of(" \t\r", start);
    if (first != std::string::npos && first < end) {
      const std::size_t last = text.find_last_not_of(" \t\r", end - 1);
      if (!out.empty())
        out += "; ";
      out.append(text, first, last - first + 1);
    }
    start = end + 1;
  }
  return out;
}

std::string DbError::describe(const std::string &action) const {
  if (sqlstate_.empty())
    return action + " failed: " + one_line(what());
  std::string text = action + " rejected by the database (" + sqlstate_ + "): " + one_line(what());
  if (!detail_.empty())
    text += "; " + one_line(detail_);
  if (!hint_.empty())
    text += "; hint: " + one_line(hint_);
  return text;
}

Connection::Connection(const std::string &dsn) : conn_(nullptr, &PQfinish) {
  // With expand_dbname, `dsn` may be a conninfo string, a URI or a bare database name; an absent
  // entry leaves libpq to its environment (PGHOST, PGDATABASE, ~/.pgpass, ...).
  std::vector<const char *> keywords, values;
  if (!dsn.empty()) {
    keywords.push_back("dbname");
    values.push_back(dsn.c_str());
  }
  keywords.push_back("fallback_application_name");
  values.push_back("mycelium");
  // After the DSN, so it wins: signatures cover the UTF-8 bytes of the text fields, so the
  // server must read our parameters as UTF-8 whatever PGCLIENTENCODING or the DSN says.
  keywords.push_back("client_encoding");
  values.push_back("UTF8");
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  conn_.reset(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!conn_)
    throw Failure("cannot connect to the database: out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw Failure("cannot connect to the database: " + one_line(PQerrorMessage(conn_.get())));
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
