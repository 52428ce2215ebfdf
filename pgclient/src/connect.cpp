#include "mycelium/pgclient/connect.hpp"

#include <vector>

namespace mycelium::pgclient {

Handle connect(const std::string &dsn, const char *application_name, const Overrides &overrides) {
  std::vector<const char *> keywords, values;
  if (!dsn.empty()) {
    // With expand_dbname, a "dbname" holding a conninfo string or URI is expanded in place.
    keywords.push_back("dbname");
    values.push_back(dsn.c_str());
  }
  // After the DSN: a later keyword wins (a later dbname is a plain name, never expanded).
  for (const auto &[keyword, value] : overrides) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back("fallback_application_name");
  values.push_back(application_name);
  // After the DSN, so it wins over the DSN's own client_encoding.
  keywords.push_back("client_encoding");
  values.push_back("UTF8");
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Handle conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1), &PQfinish);
  if (!conn)
    throw ConnectError("out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw ConnectError(one_line(PQerrorMessage(conn.get())));
  return conn;
}

std::string one_line(const std::string &text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
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

} // namespace mycelium::pgclient
