// A statement that failed, as every libpq client of the project reports it: the server's SQLSTATE,
// message, detail and hint, so that callers can act on the code (the CLI retries 40001, the agent
// tells an unreachable database from a refused statement) and users read the whole reason.
#pragma once

#include <stdexcept>
#include <string>

namespace mycelium::pgclient {

class Error : public std::runtime_error {
public:
  // `sqlstate` is empty for a client-side failure (a lost connection), where libpq has no code.
  Error(std::string sqlstate, const std::string &message, std::string detail = {},
        std::string hint = {})
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), detail_(std::move(detail)),
        hint_(std::move(hint)) {}

  const std::string &sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }
  const std::string &hint() const noexcept { return hint_; }

  // One line: "<action> rejected by the database (CODE): message; detail; hint: hint", or
  // "<action> failed: message" for a client-side failure.
  std::string describe(const std::string &action) const;

private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

} // namespace mycelium::pgclient
