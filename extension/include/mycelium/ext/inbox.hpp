// What other parts of the extension need to know of mycelium.inbox (extension/src/inbox.cpp).
#pragma once

namespace mycelium::ext {

// Whether an INSERT statement on mycelium.inbox is running in this backend: it holds shard heads
// and epochs it read at its start, which nothing else may change until it ends.
bool inbox_statement_running();

} // namespace mycelium::ext
