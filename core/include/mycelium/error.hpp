// The one exception type the core throws. It carries a SQLSTATE (a SQL-standard code, not a
// PostgreSQL type) so the extension can report each failure with its own code, and the CLI and
// the agent can show the same code a server would.
#pragma once

#include <stdexcept>
#include <string>

namespace mycelium {

namespace sqlstate {
inline constexpr const char *kInvalidParameterValue = "22023";
inline constexpr const char *kInternalError = "XX000";
} // namespace sqlstate

class Error : public std::runtime_error {
public:
  Error(const char *sqlstate, const std::string &message, std::string detail = {})
      : std::runtime_error(message), sqlstate_(sqlstate), detail_(std::move(detail)) {}

  // Five characters, [0-9A-Z].
  const char *sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }

private:
  const char *sqlstate_;
  std::string detail_;
};

} // namespace mycelium
