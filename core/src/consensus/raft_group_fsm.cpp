#include "raft_group_impl.hpp"

#include <cstring>

namespace mycelium::consensus::detail {

int RaftGroup::fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result) {
  RaftGroup &g = self(fsm);
  *result = nullptr;
  // libraft applies index last_applied + 1 and advances last_applied after this returns.
  std::uint64_t index = g.raft_.last_applied + 1;
  CommittedEntry entry{index, g.storage_->term_at(index),
                       static_cast<const std::uint8_t *>(buf->base), buf->len};
  try {
    if (g.callbacks_.apply)
      g.callbacks_.apply(entry);
  } catch (const std::exception &e) {
    g.fail(std::string("apply of entry ") + std::to_string(index) + " failed: " + e.what());
    return RAFT_IOERR;
  }
  return 0;
}

int RaftGroup::fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs) {
  RaftGroup &g = self(fsm);
  Bytes data;
  try {
    data = g.callbacks_.snapshot();
  } catch (const std::exception &) {
    return RAFT_IOERR;
  }
  auto *buffers = static_cast<struct raft_buffer *>(raft_malloc(sizeof(struct raft_buffer)));
  void *base = raft_malloc(data.empty() ? 1 : data.size());
  if (buffers == nullptr || base == nullptr) {
    raft_free(buffers);
    raft_free(base);
    return RAFT_NOMEM;
  }
  if (!data.empty())
    std::memcpy(base, data.data(), data.size());
  buffers[0] = {base, data.size()};
  *bufs = buffers;
  *n_bufs = 1;
  return 0;
}

// libraft hands the buffer over on success (it frees it itself only on failure).
int RaftGroup::fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf) {
  RaftGroup &g = self(fsm);
  const auto *p = static_cast<const std::uint8_t *>(buf->base);
  Bytes data(p, p + buf->len);
  try {
    if (g.callbacks_.restore)
      g.callbacks_.restore(data, g.storage_->snapshot_index(), g.storage_->snapshot_term());
  } catch (const std::exception &e) {
    g.fail(std::string("restore failed: ") + e.what());
    return RAFT_IOERR;
  }
  raft_free(buf->base);
  return 0;
}

} // namespace mycelium::consensus::detail
