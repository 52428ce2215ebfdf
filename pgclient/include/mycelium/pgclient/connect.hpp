// How every libpq client of the project (the agent, the CLI, the benchmarks) opens a
// connection: one place, so that they cannot drift apart again (issue 13 found the agent, which
// moves signed entries, without the CLI's forced client encoding).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mycelium::pgclient {

// An open libpq connection, finished when dropped.
using Handle = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// A connection that could not be made; what() is libpq's message on one line.
class ConnectError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Connects with `dsn` (a conninfo string, a postgresql:// URI or a bare database name; empty:
// libpq's environment, PGHOST, PGDATABASE, ~/.pgpass ...). client_encoding is UTF8 whatever
// the DSN or PGCLIENTENCODING say: signatures cover the UTF-8 bytes of text fields, so the
// server must read parameters, and return values, as UTF-8. `application_name` is the fallback
// the server shows in pg_stat_activity when the DSN names none. Throws ConnectError.
// `overrides` (keyword, value) replace the DSN's own settings, e.g. host, port and dbname to
// reach another node with the same user and credentials (the CLI following a shard's primary).
using Overrides = std::vector<std::pair<std::string, std::string>>;
Handle connect(const std::string &dsn, const char *application_name,
               const Overrides &overrides = {});

// libpq's multi-line messages (ERROR text, DETAIL, connection failures) on one line, parts
// joined with "; ", for log lines and one-line CLI errors.
std::string one_line(const std::string &text);

} // namespace mycelium::pgclient
