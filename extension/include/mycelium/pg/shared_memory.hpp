// The extension's structs in shared memory (the push worker's state, the copy progress slots):
// each registered here from _PG_init when the library is preloaded gets its space requested and
// is made once, in the postmaster (zeroed, then `init` on it). One pair of hooks for all of them.
#pragma once

#include <cstddef>

namespace mycelium::pg {

// `*where` points at the struct in every process once shared memory is up (nullptr before, and
// when the library was not preloaded). Call only from _PG_init under
// process_shared_preload_libraries_in_progress.
void add_shared_struct(const char *name, std::size_t size, void **where, void (*init)(void *));

} // namespace mycelium::pg
