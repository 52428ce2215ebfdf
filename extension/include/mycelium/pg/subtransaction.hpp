// Runs C++ code in a subtransaction, as PL/pgSQL's EXCEPTION blocks do: on failure the
// subtransaction is rolled back (postgres_fdw rolls back its remote savepoint too) and the
// caller's transaction goes on.
#pragma once

#include "mycelium/pg/guard.hpp"

#include <functional>
#include <optional>
#include <string>

namespace mycelium::pg {

struct Failure {
  std::string sqlstate;
  std::string message;
  std::string detail; // PostgreSQL's DETAIL, when there is one (the cause of a failed connect)
};

// Returns the failure, or nothing when `body` succeeded (and its subtransaction committed).
std::optional<Failure> in_subtransaction(const std::function<void()> &body);

} // namespace mycelium::pg
