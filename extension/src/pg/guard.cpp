#include "mycelium/pg/guard.hpp"

#include "mycelium/error.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace mycelium::pg {

const char *PgError::what() const noexcept {
  return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
}

namespace detail {

void throw_pg_error(MemoryContext context) {
  // We are past PG_END_TRY: the error is still in PostgreSQL's error stack and must be copied out
  // of ErrorContext before the stack is reset. MemoryContextSwitchTo and FlushErrorState cannot
  // raise; CopyErrorData can, if palloc runs out of memory: caught here, so that its longjmp
  // never crosses the C++ frames above (the original error is then reported as 53200).
  MemoryContextSwitchTo(context);
  ErrorData *volatile edata = nullptr;
  PG_TRY();
  { edata = CopyErrorData(); }
  PG_CATCH();
  { edata = nullptr; }
  PG_END_TRY();
  MemoryContextSwitchTo(context);
  FlushErrorState();
  if (!edata)
    throw mycelium::Error("53200", "out of memory while copying a PostgreSQL error");
  throw PgError(edata);
}

namespace {

// Copies `text` into `buffer`; a text too long for it also into palloc'd memory (`spill`).
// Called in a catch handler: nothing here may raise, so the allocation is MCXT_ALLOC_NO_OOM
// (NULL instead of an ERROR) and never above kMaxText (no "invalid memory alloc request").
void keep(const char *text, char *buffer, std::size_t size, char *&spill) {
  std::strncpy(buffer, text, size - 1);
  buffer[size - 1] = '\0';
  const std::size_t length = std::strlen(text);
  if (length < size)
    return;
  const std::size_t kept = std::min(length, Failure::kMaxText);
  spill = static_cast<char *>(
      MemoryContextAllocExtended(CurrentMemoryContext, kept + 1, MCXT_ALLOC_NO_OOM));
  if (spill) {
    std::memcpy(spill, text, kept);
    spill[kept] = '\0';
  }
}

} // namespace

void Failure::set(const char *code, const char *msg, const char *det) {
  std::strncpy(sqlstate, code, sizeof(sqlstate) - 1);
  sqlstate[sizeof(sqlstate) - 1] = '\0';
  keep(msg, message, sizeof(message), long_message);
  keep(det, detail, sizeof(detail), long_detail);
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
  const char *message = failure.long_message ? failure.long_message : failure.message;
  const char *detail = failure.long_detail ? failure.long_detail : failure.detail;
  ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg("%s", message),
                  detail[0] ? errdetail("%s", detail) : 0));
  pg_unreachable();
}

} // namespace detail
} // namespace mycelium::pg
