// The CLI's database access: the project's libpq client (pgclient), opened the CLI's way.
#pragma once

#include "failure.hpp"

#include "mycelium/pgclient/connection.hpp"

#include <string>

namespace mycelium::cli {

using pgclient::Connection;
using pgclient::Result;

// Opens `dsn` (empty: libpq's environment) as application "mycelium". Throws Failure, saying it
// cannot connect and why.
Connection connect_database(const std::string &dsn, const pgclient::Overrides &overrides = {});

} // namespace mycelium::cli
