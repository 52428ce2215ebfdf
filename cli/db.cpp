#include "db.hpp"

namespace mycelium::cli {

Connection connect_database(const std::string &dsn, const pgclient::Overrides &overrides) {
  try {
    return Connection(dsn, "mycelium", overrides);
  } catch (const pgclient::ConnectError &e) {
    throw Failure(std::string("cannot connect to the database: ") + e.what());
  }
}

} // namespace mycelium::cli
