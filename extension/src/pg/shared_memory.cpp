#include "mycelium/pg/shared_memory.hpp"

#include "mycelium/pg/postgres.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

#include <cstring>

namespace mycelium::pg {

namespace {

struct SharedStruct {
  const char *name;
  std::size_t size;
  void **where;
  void (*init)(void *);
};

// A handful at most; fixed so that registering allocates nothing.
constexpr int kMaxStructs = 8;
SharedStruct structs[kMaxStructs];
int struct_count = 0;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

// The shared-memory hooks run in the postmaster as plain C (no C++ object alive): unguarded.
void request_shmem() {
  if (previous_request_hook)
    previous_request_hook();
  for (int i = 0; i < struct_count; ++i)
    RequestAddinShmemSpace(structs[i].size);
}

void startup_shmem() {
  if (previous_startup_hook)
    previous_startup_hook();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  for (int i = 0; i < struct_count; ++i) {
    bool found = false;
    void *memory = ShmemInitStruct(structs[i].name, structs[i].size, &found);
    if (!found) {
      std::memset(memory, 0, structs[i].size);
      structs[i].init(memory);
    }
    *structs[i].where = memory;
  }
  LWLockRelease(AddinShmemInitLock);
}

} // namespace

void add_shared_struct(const char *name, std::size_t size, void **where, void (*init)(void *)) {
  if (struct_count == kMaxStructs)
    return; // a programming error caught by the first test run: the struct stays unavailable
  if (struct_count == 0) {
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = request_shmem;
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
  }
  structs[struct_count++] = SharedStruct{name, size, where, init};
}

} // namespace mycelium::pg
