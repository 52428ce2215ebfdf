#include "mycelium/ext/internal_scope.hpp"

namespace mycelium::ext {

namespace {
// Backends are single-threaded: one stack of open scopes per process.
InternalScope *innermost = nullptr;
} // namespace

InternalScope::InternalScope(InternalOp op, std::string shard_id, std::string key)
    : op_(op), shard_id_(std::move(shard_id)), key_(std::move(key)), outer_(innermost) {
  innermost = this;
}

InternalScope::~InternalScope() {
  innermost = outer_;
}

bool InternalScope::active(InternalOp op, const std::string &shard_id, const std::string &key) {
  for (const InternalScope *s = innermost; s; s = s->outer_) {
    if (s->op_ != op)
      continue;
    if (op == InternalOp::AuditAppend || op == InternalOp::StatusUpdate)
      return true;
    if (s->shard_id_ == shard_id && (op != InternalOp::SignedDelete || s->key_ == key))
      return true;
  }
  return false;
}

} // namespace mycelium::ext
