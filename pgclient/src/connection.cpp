#include "mycelium/pgclient/connection.hpp"

#include <cstring>

namespace mycelium::pgclient {

namespace {

std::string field(const PGresult *result, int code) {
  const char *value = PQresultErrorField(result, code);
  return value ? value : "";
}

} // namespace

Rows Result::all() const {
  Rows out;
  const int n = rows(), cols = columns();
  out.reserve(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c)
      row.push_back(is_null(r, c) ? std::nullopt : std::optional<std::string>(text(r, c)));
    out.push_back(std::move(row));
  }
  return out;
}

Result Connection::checked(PGresult *raw) const {
  Result result(raw);
  if (!raw)
    throw Error("", one_line(PQerrorMessage(conn_.get())));
  const ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;
  std::string message = field(raw, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty())
    message = one_line(PQresultErrorMessage(raw));
  if (message.empty())
    message = one_line(PQerrorMessage(conn_.get()));
  if (message.empty())
    message = "statement failed";
  throw Error(field(raw, PG_DIAG_SQLSTATE), message, field(raw, PG_DIAG_MESSAGE_DETAIL),
              field(raw, PG_DIAG_MESSAGE_HINT));
}

Result Connection::exec(const std::string &sql, const Params &params) {
  std::vector<const char *> values;
  values.reserve(params.size());
  for (const Param &p : params)
    values.push_back(p ? p->c_str() : nullptr);
  return checked(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0));
}

std::string Connection::scalar(const std::string &sql, const Params &params) {
  const Result result = exec(sql, params);
  return result.rows() > 0 && result.columns() > 0 ? result.text(0, 0) : "";
}

void Connection::prepare(const std::string &name, const std::string &sql) {
  checked(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
}

Result Connection::exec_prepared(const std::string &name, int count, const char *const *values) {
  return checked(PQexecPrepared(conn_.get(), name.c_str(), count, values, nullptr, nullptr, 0));
}

void Connection::commit() {
  const Result result = exec("COMMIT");
  if (std::strcmp(result.command_status(), "COMMIT") != 0)
    throw Error("", "the transaction was rolled back");
}

void Connection::rollback() noexcept {
  PQclear(PQexec(conn_.get(), "ROLLBACK"));
}

} // namespace mycelium::pgclient
