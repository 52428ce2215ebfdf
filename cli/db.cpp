#include "db.hpp"

namespace mycelium::cli {

Connection connect_database(const std::string &dsn) {
  try {
    return Connection(dsn, "mycelium");
  } catch (const pgclient::ConnectError &e) {
    throw Failure(std::string("cannot connect to the database: ") + e.what());
  }
}

} // namespace mycelium::cli
