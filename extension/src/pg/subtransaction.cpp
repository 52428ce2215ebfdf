#include "mycelium/pg/subtransaction.hpp"

#include "mycelium/error.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/resowner.h"
}

namespace mycelium::pg {

std::optional<Failure> in_subtransaction(const std::function<void()> &body) {
  const MemoryContext context = CurrentMemoryContext;
  const ResourceOwner owner = CurrentResourceOwner;
  call([] { BeginInternalSubTransaction(nullptr); });
  // MemoryContextSwitchTo (here and below) cannot raise: it only sets a global, as does the
  // restoring of CurrentResourceOwner.
  MemoryContextSwitchTo(context);

  std::optional<Failure> failure;
  try {
    body();
  } catch (const PgError &e) {
    char code[6];
    const int s = e.edata()->sqlerrcode;
    for (int i = 0; i < 5; ++i)
      code[i] = static_cast<char>(PGUNSIXBIT(s >> (6 * i)));
    code[5] = '\0';
    failure = Failure{code, e.what(), e.edata()->detail ? e.edata()->detail : ""};
  } catch (const Error &e) {
    failure = Failure{e.sqlstate(), e.what(), e.detail()};
  } catch (...) {
    // Anything else (bad_alloc, a bug) is not a failure of the body to report but one to
    // raise: still, the subtransaction must not stay open above the caller, nor the memory
    // context and resource owner point into it, when the guard turns it into an ERROR.
    call([] { RollbackAndReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(context);
    CurrentResourceOwner = owner;
    throw;
  }
  if (failure)
    call([] { RollbackAndReleaseCurrentSubTransaction(); });
  else
    call([] { ReleaseCurrentSubTransaction(); });
  MemoryContextSwitchTo(context);
  CurrentResourceOwner = owner;
  return failure;
}

} // namespace mycelium::pg
