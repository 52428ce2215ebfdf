#include "message_io.hpp"

#include <cstdint>
#include <cstring>

namespace mycelium::consensus {
namespace {

void copy_error(struct raft_io *io, const std::string &message) {
  std::snprintf(io->errmsg, sizeof io->errmsg, "%s", message.c_str());
}

// One raft_malloc'd snapshot with one buffer, as libraft expects from load and snapshot_get.
struct raft_snapshot *snapshot_to_raft(const StoredSnapshot &s) {
  auto *out = static_cast<struct raft_snapshot *>(raft_calloc(1, sizeof(struct raft_snapshot)));
  if (out == nullptr)
    return nullptr;
  out->index = s.index;
  out->term = s.term;
  out->configuration_index = s.conf_index;
  out->bufs = static_cast<struct raft_buffer *>(raft_malloc(sizeof(struct raft_buffer)));
  void *data = raft_malloc(s.data.empty() ? 1 : s.data.size());
  if (out->bufs == nullptr || data == nullptr ||
      to_raft_configuration(s.configuration, &out->configuration) != 0) {
    raft_free(out->bufs);
    raft_free(data);
    raft_free(out);
    return nullptr;
  }
  if (!s.data.empty())
    std::memcpy(data, s.data.data(), s.data.size());
  out->bufs[0] = {data, s.data.size()};
  out->n_bufs = 1;
  return out;
}

} // namespace

MessageIo::MessageIo(RaftStorage &storage, Hooks hooks)
    : storage_(storage), hooks_(std::move(hooks)), rng_(hooks_.random_seed) {
  io_.version = 1; // no async_work: snapshots are taken synchronously (fsm version 1)
  io_.impl = this;
  io_.init = &MessageIo::init;
  io_.close = &MessageIo::close;
  io_.load = &MessageIo::load;
  io_.start = &MessageIo::start;
  io_.bootstrap = &MessageIo::bootstrap;
  io_.recover = &MessageIo::recover;
  io_.set_term = &MessageIo::set_term;
  io_.set_vote = &MessageIo::set_vote;
  io_.send = &MessageIo::send;
  io_.append = &MessageIo::append;
  io_.truncate = &MessageIo::truncate;
  io_.snapshot_put = &MessageIo::snapshot_put;
  io_.snapshot_get = &MessageIo::snapshot_get;
  io_.time = &MessageIo::time;
  io_.random = &MessageIo::random;
}

void MessageIo::mark_failed(const std::string &why) {
  if (!failed_)
    failure_ = why;
  failed_ = true;
}

int MessageIo::storage_error(const StorageError &e) {
  mark_failed(e.what());
  copy_error(&io_, e.what());
  return e.out_of_space() ? RAFT_NOSPACE : RAFT_IOERR;
}

bool MessageIo::deliver(std::uint64_t from, const std::uint8_t *bytes, std::size_t size,
                        std::string *error) {
  auto reject = [error](std::string why) {
    if (error != nullptr)
      *error = std::move(why);
    return false;
  };
  if (closed_ || failed_ || recv_cb_ == nullptr)
    return reject("the group is not running");
  if (from == 0 || from == self_id_)
    return reject("sender id " + std::to_string(from));
  run_completions(); // finish earlier work before libraft sees a new message
  RaftEnvelope message;
  try {
    message = decode_raft_message(bytes, size, hooks_.limits);
  } catch (const CodecError &e) {
    return reject(e.what());
  }
  if (message.group_id != hooks_.group_id)
    return reject("message for group " + std::to_string(message.group_id));
  // A vote request names its candidate; only the candidate itself may send it.
  if (const auto *vote = std::get_if<RequestVote>(&message.body))
    if (vote->candidate_id != from)
      return reject("vote request for candidate " + std::to_string(vote->candidate_id) +
                    " sent by " + std::to_string(from));
  if (std::string why = implausible(message.body); !why.empty())
    return reject(why);
  if (hooks_.admit)
    if (std::string why = hooks_.admit(from, message.body); !why.empty())
      return reject(why);
  struct raft_message raft_message;
  if (to_raft(message.body, &raft_message) != 0)
    return reject("out of memory");
  raft_message.server_id = from;
  sender_address_ = std::to_string(from);
  raft_message.server_address = sender_address_.c_str();
  if (const auto *append = std::get_if<AppendEntries>(&message.body)) {
    answering_leader_ = from;
    answering_proven_index_ = append->prev_log_index + append->entries.size();
  }
  recv_cb_(&io_, &raft_message);
  run_completions(); // the answer to an AppendEntries is sent by here
  answering_leader_ = 0;
  return true;
}

void MessageIo::tick() {
  run_completions();
  if (closed_ || failed_ || tick_cb_ == nullptr)
    return;
  std::uint64_t now = hooks_.clock_ms();
  if (now >= next_tick_ms_) {
    next_tick_ms_ = now + tick_interval_ms_;
    tick_cb_(&io_);
  }
  run_completions();
}

// Completions include the owner's callbacks, and this can run inside libraft (its close). An
// exception must not unwind through libraft's C frames: it fails the group instead.
void MessageIo::run_completions() {
  while (!completions_.empty()) {
    std::function<void()> next = std::move(completions_.front());
    completions_.pop_front();
    try {
      next();
    } catch (const std::exception &e) {
      mark_failed(std::string("a callback threw: ") + e.what());
    } catch (...) {
      mark_failed("a callback threw");
    }
  }
}

// libraft trusts its peers and asserts on some impossible inputs. The peers are authenticated
// members, but a bug or a corrupted peer must not abort this node, so the cheap invariants of
// Raft are checked here: no entry from a term later than the message's, entry terms never
// decreasing, and index arithmetic that cannot overflow.
std::string MessageIo::implausible(const RaftMessageBody &body) {
  if (const auto *a = std::get_if<AppendEntries>(&body)) {
    if (a->prev_log_term > a->term)
      return "append entries: prev_log_term after the term";
    if (a->prev_log_index > UINT64_MAX / 2 || a->leader_commit > UINT64_MAX / 2)
      return "append entries: index out of range";
    std::uint64_t previous = a->prev_log_term;
    for (const LogEntry &e : a->entries) {
      if (e.term > a->term || e.term < previous || e.term == 0)
        return "append entries: entry terms out of order";
      previous = e.term;
    }
  }
  if (const auto *s = std::get_if<InstallSnapshot>(&body)) {
    if (s->last_term > s->term || s->conf_index > s->last_index || s->last_index == 0 ||
        s->configuration.empty())
      return "install snapshot: inconsistent indexes or configuration";
  }
  if (const auto *v = std::get_if<RequestVote>(&body)) {
    if (v->last_log_term > v->term)
      return "request vote: last_log_term after the term";
  }
  if (const auto *t = std::get_if<TimeoutNow>(&body)) {
    if (t->last_log_term > t->term)
      return "timeout now: last_log_term after the term";
  }
  return {};
}

// libraft 0.15 answers a successful AppendEntries with its last stored index, which may include
// stale entries from an older term past the ones the leader just proved to match (recv_append_
// entries.c, appendFollowerCb). The leader caps that at its own last index, but when it has
// appended since, it takes the stale entries for matched: it then ignores every later rejection
// as stale (the follower never catches up) and counts the follower towards commitment of
// entries it does not have. Raft's answer is prev_log_index + the number of entries; we send
// that.
void MessageIo::limit_success_to_proven_index(std::uint64_t to, RaftMessageBody &body) const {
  auto *result = std::get_if<AppendEntriesResult>(&body);
  if (result == nullptr || result->rejected != 0 || answering_leader_ == 0 ||
      answering_leader_ != to)
    return;
  if (result->last_log_index > answering_proven_index_)
    result->last_log_index = answering_proven_index_;
}

int MessageIo::init(struct raft_io *io, raft_id id, const char *) {
  self(io).self_id_ = id;
  return 0;
}

void MessageIo::close(struct raft_io *io, raft_io_close_cb cb) {
  MessageIo &s = self(io);
  // The queued completions belong to work already done; libraft, now unavailable, only frees
  // its requests in them. They must run before the close callback frees libraft's state.
  s.run_completions();
  s.closed_ = true;
  s.tick_cb_ = nullptr;
  s.recv_cb_ = nullptr;
  if (cb != nullptr)
    cb(io);
}

int MessageIo::load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                    struct raft_snapshot **snapshot, raft_index *start_index,
                    struct raft_entry *entries[], size_t *n_entries) {
  MessageIo &s = self(io);
  LoadedState state;
  try {
    state = s.storage_.load();
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  *snapshot = nullptr;
  if (state.snapshot) {
    *snapshot = snapshot_to_raft(*state.snapshot);
    if (*snapshot == nullptr)
      return RAFT_NOMEM;
  }
  AppendEntries as_message;
  as_message.entries = std::move(state.entries);
  struct raft_message converted;
  if (to_raft(as_message, &converted) != 0)
    return RAFT_NOMEM;
  *term = state.term;
  *voted_for = state.voted_for;
  *start_index = state.first_index;
  *entries = converted.append_entries.entries;
  *n_entries = converted.append_entries.n_entries;
  return 0;
}

int MessageIo::start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                     raft_io_recv_cb recv) {
  MessageIo &s = self(io);
  s.tick_interval_ms_ = msecs;
  s.tick_cb_ = tick;
  s.recv_cb_ = recv;
  s.next_tick_ms_ = s.hooks_.clock_ms() + msecs;
  return 0;
}

int MessageIo::bootstrap(struct raft_io *io, const struct raft_configuration *conf) {
  MessageIo &s = self(io);
  if (!s.storage_.pristine())
    return RAFT_CANTBOOTSTRAP;
  struct raft_buffer buf;
  int rv = raft_configuration_encode(conf, &buf);
  if (rv != 0)
    return rv;
  const auto *p = static_cast<const std::uint8_t *>(buf.base);
  Bytes encoded(p, p + buf.len);
  raft_free(buf.base);
  try {
    s.storage_.bootstrap(encoded);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  return 0;
}

// Forcing a configuration after losing a quorum is an operator's act on a stopped node; it is
// not offered through this io (schemas/CONSENSUS.md, "Left for the integration").
int MessageIo::recover(struct raft_io *io, const struct raft_configuration *) {
  copy_error(io, "recover is not supported");
  return RAFT_INVALID;
}

int MessageIo::set_term(struct raft_io *io, raft_term term) {
  MessageIo &s = self(io);
  try {
    s.storage_.set_term(term);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  return 0;
}

int MessageIo::set_vote(struct raft_io *io, raft_id server_id) {
  MessageIo &s = self(io);
  try {
    s.storage_.set_vote(server_id);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  return 0;
}

int MessageIo::send(struct raft_io *io, struct raft_io_send *req,
                    const struct raft_message *message, raft_io_send_cb cb) {
  MessageIo &s = self(io);
  if (s.failed_ || s.closed_)
    return RAFT_NOCONNECTION;
  RaftEnvelope envelope{s.hooks_.group_id, to_wire(*message)};
  s.limit_success_to_proven_index(message->server_id, envelope.body);
  try {
    s.hooks_.send(message->server_id, encode_raft_message(envelope));
  } catch (const std::exception &e) { // never through libraft's frames
    s.mark_failed(std::string("send threw: ") + e.what());
    return RAFT_NOCONNECTION;
  }
  req->cb = cb;
  s.defer([req, cb] {
    if (cb != nullptr)
      cb(req, 0);
  });
  return 0;
}

int MessageIo::append(struct raft_io *io, struct raft_io_append *req,
                      const struct raft_entry entries[], unsigned n, raft_io_append_cb cb) {
  MessageIo &s = self(io);
  if (s.failed_)
    return RAFT_IOERR;
  std::vector<EntryRef> refs;
  refs.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    refs.push_back(EntryRef{entries[i].term, static_cast<EntryType>(entries[i].type),
                            static_cast<const std::uint8_t *>(entries[i].buf.base),
                            entries[i].buf.len});
  try {
    s.storage_.append(refs);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  req->cb = cb;
  s.defer([req, cb] {
    if (cb != nullptr)
      cb(req, 0);
  });
  return 0;
}

int MessageIo::truncate(struct raft_io *io, raft_index index) {
  MessageIo &s = self(io);
  if (s.failed_)
    return RAFT_IOERR;
  std::uint64_t removed = 0;
  try {
    removed = s.storage_.truncate_from(index);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  if (removed > 0 && s.hooks_.on_truncated) {
    try {
      s.hooks_.on_truncated(index, removed);
    } catch (const std::exception &e) { // never through libraft's frames
      s.mark_failed(std::string("entries_discarded threw: ") + e.what());
    }
  }
  return 0;
}

int MessageIo::snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                            const struct raft_snapshot *snapshot, raft_io_snapshot_put_cb cb) {
  MessageIo &s = self(io);
  if (s.failed_)
    return RAFT_IOERR;
  StoredSnapshot stored{snapshot->index,
                        snapshot->term,
                        to_membership(snapshot->configuration),
                        snapshot->configuration_index,
                        {}};
  for (unsigned i = 0; i < snapshot->n_bufs; ++i) {
    const auto *p = static_cast<const std::uint8_t *>(snapshot->bufs[i].base);
    stored.data.insert(stored.data.end(), p, p + snapshot->bufs[i].len);
  }
  try {
    s.storage_.put_snapshot(stored, trailing);
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  req->cb = cb;
  s.defer([req, cb] {
    if (cb != nullptr)
      cb(req, 0);
  });
  return 0;
}

int MessageIo::snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                            raft_io_snapshot_get_cb cb) {
  MessageIo &s = self(io);
  if (s.failed_)
    return RAFT_IOERR;
  std::optional<StoredSnapshot> stored;
  try {
    stored = s.storage_.read_snapshot();
  } catch (const StorageError &e) {
    return s.storage_error(e);
  }
  if (!stored)
    return RAFT_NOTFOUND;
  struct raft_snapshot *snapshot = snapshot_to_raft(*stored);
  if (snapshot == nullptr)
    return RAFT_NOMEM;
  req->cb = cb;
  s.defer([req, cb, snapshot] { cb(req, snapshot, 0); });
  return 0;
}

raft_time MessageIo::time(struct raft_io *io) {
  return self(io).hooks_.clock_ms();
}

int MessageIo::random(struct raft_io *io, int min, int max) {
  std::uniform_int_distribution<int> pick(min, max);
  return pick(self(io).rng_);
}

} // namespace mycelium::consensus
