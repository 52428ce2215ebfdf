#include "mycelium/pg/guard.hpp"

#include "mycelium/error.hpp"

#include <cstring>
#include <new>

namespace mycelium::pg {

const char *PgError::what() const noexcept {
  return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

namespace detail {

void throw_pg_error(MemoryContext context) {
  // We are past PG_END_TRY: the error is still in PostgreSQL's error stack and must be copied out
  // of ErrorContext before the stack is reset.
  MemoryContextSwitchTo(context);
  ErrorData *edata = CopyErrorData();
  FlushErrorState();
  throw PgError(edata);
}

void Failure::set(const char *code, const char *msg, const char *det) {
  std::strncpy(sqlstate, code, sizeof(sqlstate) - 1);
  sqlstate[sizeof(sqlstate) - 1] = '\0';
  std::strncpy(message, msg, sizeof(message) - 1);
  message[sizeof(message) - 1] = '\0';
  std::strncpy(detail, det, sizeof(detail) - 1);
  detail[sizeof(detail) - 1] = '\0';
}

void capture_current_exception(Failure &failure) noexcept {
  try {
    throw;
  } catch (const PgError &e) {
    failure.edata = e.edata();
  } catch (const mycelium::Error &e) {
    failure.set(e.sqlstate(), e.what(), e.detail().c_str());
  } catch (const std::bad_alloc &) {
    failure.set("53200", "out of memory", "");
  } catch (const std::exception &e) {
    failure.set("XX000", e.what(), "");
  } catch (...) {
    failure.set("XX000", "unknown C++ exception", "");
  }
}

void report(const Failure &failure) {
  if (failure.edata)
    ReThrowError(failure.edata);
  const char *s = failure.sqlstate;
  ereport(ERROR,
          (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg("%s", failure.message),
           failure.detail[0] ? errdetail("%s", failure.detail) : 0));
  pg_unreachable();
}

} // namespace detail
} // namespace mycelium::pg
