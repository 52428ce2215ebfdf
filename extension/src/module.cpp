// Module entry: magic block and the version of the loaded library.
#include "mycelium/pg/datum.hpp"

extern "C" {
PG_MODULE_MAGIC;
}

// MYCELIUM_VERSION comes from mycelium.control (see extension/Makefile); the CLI and the agent
// read the same line through CMake.
MYCELIUM_SQL_FUNCTION(mycelium_version) {
  (void)fcinfo;
  return mycelium::pg::text_datum(MYCELIUM_VERSION);
}
