// mycelium._boundary_probe(mode): exercises the C++/PostgreSQL boundary from SQL so the
// regression suite can prove both directions on the installed library (sql/boundary.sql):
//   'cpp_exception'  a C++ exception thrown with live C++ objects must become an ERROR;
//   'pg_error'       a PostgreSQL ERROR raised under C++ frames must keep its SQLSTATE and unwind
//                    those frames (destructors run);
//   'subtransaction_cpp_exception'  a C++ exception out of pg::in_subtransaction must close the
//                    subtransaction before it becomes an ERROR;
//   'long_error'     an Error whose message and detail are 3,000 bytes each arrives whole;
//   'live_objects'   how many probe objects are alive: 0 unless a destructor was skipped.
// Superuser only (EXECUTE is revoked from PUBLIC in the install script).
#include "mycelium/error.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/subtransaction.hpp"

#include <stdexcept>
#include <string>

namespace {

int live_objects = 0;

// Counts itself; a skipped destructor leaves live_objects above zero for the session.
class LiveObject {
public:
  LiveObject() { ++live_objects; }
  ~LiveObject() { --live_objects; }
  LiveObject(const LiveObject &) = delete;
  LiveObject &operator=(const LiveObject &) = delete;
};

} // namespace

MYCELIUM_SQL_FUNCTION(mycelium_boundary_probe) {
  const std::string mode = mycelium::pg::text_arg(fcinfo, 0, "mode");
  if (mode == "live_objects")
    return Int32GetDatum(live_objects);

  LiveObject guard_me;
  std::string owned_heap_memory(256, 'x'); // would leak if its destructor were skipped
  if (mode == "cpp_exception")
    throw std::runtime_error("boundary probe: C++ exception with " + std::to_string(live_objects) +
                             " live object(s)");
  if (mode == "pg_error") {
    // int4in raises 22P02 (invalid_text_representation) through ereport, i.e. a longjmp.
    mycelium::pg::call([] { return DirectFunctionCall1(int4in, CStringGetDatum("not a number")); });
    return Int32GetDatum(-1); // not reached
  }
  if (mode == "long_error")
    throw mycelium::Error(mycelium::sqlstate::kInvalidParameterValue,
                          "boundary probe: a long message " + std::string(3000, 'm') + " ends here",
                          "a long detail " + std::string(3000, 'd') + " ends here");
  if (mode == "subtransaction_cpp_exception") {
    // A C++ exception that is not a reported failure leaves pg::in_subtransaction: the
    // subtransaction it opened must be gone before the ERROR, or an enclosing PL/pgSQL
    // EXCEPTION block would roll back ours instead of its own.
    (void)mycelium::pg::in_subtransaction(
        [] { throw std::runtime_error("boundary probe: C++ exception in a subtransaction"); });
    return Int32GetDatum(-1); // not reached
  }
  throw mycelium::Error(mycelium::sqlstate::kInvalidParameterValue,
                        "mode must be 'cpp_exception', 'pg_error', 'long_error', "
                        "'subtransaction_cpp_exception' or 'live_objects', got '" +
                            mode + "'");
}
