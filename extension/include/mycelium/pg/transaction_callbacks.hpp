// A module's transaction and subtransaction callbacks, registered with PostgreSQL once per
// backend, the first time the module needs them (the signed-writes batch, the elected shards'
// commit-time lease check). PostgreSQL keeps callbacks for the backend's life and has no
// "registered?" query, so the caller's flag remembers it.
#pragma once

#include "mycelium/pg/guard.hpp"

extern "C" {
#include "access/xact.h"
}

namespace mycelium::pg {

inline void register_transaction_callbacks(bool &registered, XactCallback on_xact,
                                           SubXactCallback on_subxact) {
  if (registered)
    return;
  call([&] { RegisterXactCallback(on_xact, nullptr); });
  call([&] { RegisterSubXactCallback(on_subxact, nullptr); });
  registered = true;
}

} // namespace mycelium::pg
