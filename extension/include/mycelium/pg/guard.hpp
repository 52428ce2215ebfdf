// The C++ / PostgreSQL boundary. Two rules keep a backend alive:
//  - no C++ exception may reach PostgreSQL's C frames (it would abort the process and force
//    crash recovery of the whole server): every SQL-callable function is declared with
//    MYCELIUM_SQL_FUNCTION, whose wrapper catches everything and re-raises it as ereport(ERROR)
//    once all C++ frames are gone;
//  - no PostgreSQL error (a longjmp) may cross C++ frames (their destructors would be skipped):
//    every call into PostgreSQL that can raise goes through pg::call, which catches the error at
//    the call site and rethrows it as a C++ PgError carrying the original ErrorData (SQLSTATE,
//    message, detail), so the stack unwinds normally and the error is re-raised intact.
#pragma once

#include "mycelium/pg/postgres.hpp"

#include <exception>
#include <type_traits>
#include <utility>

namespace mycelium::pg {

// A PostgreSQL error caught under C++ frames. The ErrorData lives in the memory context that
// was current at the call, which outlives the unwinding.
class PgError final : public std::exception {
public:
  explicit PgError(ErrorData *edata) : edata_(edata) {}
  const char *what() const noexcept override;
  ErrorData *edata() const noexcept { return edata_; }

private:
  ErrorData *edata_;
};

namespace detail {
[[noreturn]] void throw_pg_error(MemoryContext context);
} // namespace detail

// Runs `fn` (a call into PostgreSQL) and turns a PostgreSQL error into PgError. `fn` must be a
// bare call: nothing with a destructor may be alive inside it when PostgreSQL longjmps out.
template <typename Fn> auto call(Fn &&fn) -> std::invoke_result_t<Fn> {
  using Result = std::invoke_result_t<Fn>;
  static_assert(std::is_void_v<Result> || std::is_trivially_copyable_v<Result>,
                "pg::call returns PostgreSQL values (Datum, pointers, scalars) only");
  MemoryContext context = CurrentMemoryContext;
  // Written in PG_CATCH, after the longjmp: volatile, or the compiler may keep it in a register
  // that the longjmp restores to its earlier value.
  volatile bool failed = false;
  if constexpr (std::is_void_v<Result>) {
    PG_TRY();
    { fn(); }
    PG_CATCH();
    { failed = true; }
    PG_END_TRY();
    if (failed)
      detail::throw_pg_error(context);
  } else {
    volatile Result result{}; // read after PG_END_TRY, like `failed`
    PG_TRY();
    { result = fn(); }
    PG_CATCH();
    { failed = true; }
    PG_END_TRY();
    if (failed)
      detail::throw_pg_error(context);
    return result;
  }
}

namespace detail {
// Everything needed to raise an error after the C++ frames are gone; trivially destructible,
// so the longjmp of ereport skips nothing.
struct Failure {
  ErrorData *edata = nullptr;
  char sqlstate[6] = "XX000";
  // A text that fits is kept here; a longer one (up to kMaxText bytes) is copied into palloc'd
  // memory of the function's context, which the error's abort frees. Only if that allocation
  // fails is it cut to the buffer.
  static constexpr std::size_t kMaxText = 64 * 1024;
  char message[1024] = "";
  char detail[1024] = "";
  char *long_message = nullptr;
  char *long_detail = nullptr;

  void set(const char *code, const char *msg, const char *det);
};
static_assert(std::is_trivially_destructible_v<Failure>);

[[noreturn]] void report(const Failure &failure);
void capture_current_exception(Failure &failure) noexcept;
} // namespace detail

// Runs the C++ body of a SQL-callable function. Any exception is captured into a plain struct
// inside the catch handler; the error is raised only after the try/catch has ended.
template <typename Body> Datum invoke(Body body, FunctionCallInfo fcinfo) {
  detail::Failure failure;
  try {
    return body(fcinfo);
  } catch (...) {
    detail::capture_current_exception(failure);
  }
  detail::report(failure);
}

} // namespace mycelium::pg

// Declares a SQL-callable C function `name` whose body is C++ and runs inside pg::invoke.
//   MYCELIUM_SQL_FUNCTION(mycelium_version) { return ...; }
#define MYCELIUM_SQL_FUNCTION(name)                                                                \
  static Datum name##_body(FunctionCallInfo fcinfo);                                               \
  extern "C" {                                                                                     \
  PG_FUNCTION_INFO_V1(name);                                                                       \
  Datum name(PG_FUNCTION_ARGS) {                                                                   \
    return ::mycelium::pg::invoke(name##_body, fcinfo);                                            \
  }                                                                                                \
  }                                                                                                \
  static Datum name##_body(FunctionCallInfo fcinfo)
