// Our raft_io: libraft's disk and network interface, implemented message by message.
//
// - Network: send() encodes the message (raft_message_codec) and hands the bytes to the owner's
//   outbox with the destination id; the owner moves them over its authenticated peer link and
//   feeds what arrives into deliver(from_id, bytes). The sender's id is the link's peer, never a
//   field of the bytes.
// - Disk: term, vote, log and snapshots go through RaftStorage, durable before the call returns.
// - Time: the owner's clock; libraft's tick runs from tick(), so a test drives it with a
//   virtual clock and everything is deterministic.
//
// libraft treats append, send and the snapshot calls as asynchronous, and some of its code
// assumes the completion callback has not run yet when the call returns (for instance
// sendSnapshot updates the progress after snapshot_get returns). So the work is done at once
// but every completion callback is queued and run by run_completions(), after libraft has
// returned; deliver() and tick() end by running them. All work is therefore complete before the
// next message or tick reaches libraft: no request is ever in flight across a state change.
//
// A storage failure is fail-stop: failed() turns true, the failing call returns an error to
// libraft, and from then on nothing is sent, received or written. The group closes libraft and
// its owner restarts it from the files, as after a crash.
#pragma once

#include "libraft.hpp"
#include "mycelium/consensus/raft_message_codec.hpp"
#include "mycelium/consensus/raft_storage.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>

namespace mycelium::consensus {

class MessageIo {
public:
  struct Hooks {
    std::uint64_t group_id = 0;
    std::function<void(std::uint64_t to, Bytes bytes)> send;
    std::function<std::uint64_t()> clock_ms;
    std::uint64_t random_seed = 1;
    CodecLimits limits;
    // Entries from `first_index` on were removed (they conflicted with a new leader's log).
    std::function<void(std::uint64_t first_index, std::uint64_t count)> on_truncated;
    // Sees each decoded message before libraft does (the lease counts acknowledgements, the
    // rollback guard looks for danger); a non-empty answer rejects the message with that reason.
    std::function<std::string(std::uint64_t from, const RaftMessageBody &body)> admit;
  };

  MessageIo(RaftStorage &storage, Hooks hooks);
  MessageIo(const MessageIo &) = delete;
  MessageIo &operator=(const MessageIo &) = delete;

  struct raft_io *io() {
    return &io_;
  }

  // Decodes one message from `from` and gives it to libraft. Returns false, with the reason in
  // *error, when the bytes are rejected (malformed, another group, a forged sender field).
  bool deliver(std::uint64_t from, const std::uint8_t *bytes, std::size_t size, std::string *error);
  // Runs libraft's tick if its interval has passed, then the queued completions.
  void tick();
  void run_completions();
  void defer(std::function<void()> completion) { completions_.push_back(std::move(completion)); }

  bool failed() const { return failed_; }
  const std::string &failure() const { return failure_; }
  void mark_failed(const std::string &why);
  RaftStorage &storage() { return storage_; }

private:
  static MessageIo &self(struct raft_io *io) { return *static_cast<MessageIo *>(io->impl); }
  int storage_error(const StorageError &e);
  static std::string implausible(const RaftMessageBody &body);
  void limit_success_to_proven_index(std::uint64_t to, RaftMessageBody &body) const;

  static int init(struct raft_io *io, raft_id id, const char *address);
  static void close(struct raft_io *io, raft_io_close_cb cb);
  static int load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                  struct raft_snapshot **snapshot, raft_index *start_index,
                  struct raft_entry *entries[], size_t *n_entries);
  static int start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv);
  static int bootstrap(struct raft_io *io, const struct raft_configuration *conf);
  static int recover(struct raft_io *io, const struct raft_configuration *conf);
  static int set_term(struct raft_io *io, raft_term term);
  static int set_vote(struct raft_io *io, raft_id server_id);
  static int send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *message,
                  raft_io_send_cb cb);
  static int append(struct raft_io *io, struct raft_io_append *req,
                    const struct raft_entry entries[], unsigned n, raft_io_append_cb cb);
  static int truncate(struct raft_io *io, raft_index index);
  static int snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                          const struct raft_snapshot *snapshot, raft_io_snapshot_put_cb cb);
  static int snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                          raft_io_snapshot_get_cb cb);
  static raft_time time(struct raft_io *io);
  static int random(struct raft_io *io, int min, int max);

  struct raft_io io_ {};
  RaftStorage &storage_;
  Hooks hooks_;
  std::mt19937_64 rng_;
  std::deque<std::function<void()>> completions_;
  raft_io_tick_cb tick_cb_ = nullptr;
  raft_io_recv_cb recv_cb_ = nullptr;
  unsigned tick_interval_ms_ = 0;
  std::uint64_t next_tick_ms_ = 0;
  bool closed_ = false;
  bool failed_ = false;
  std::string failure_;
  std::uint64_t self_id_ = 0;
  // The AppendEntries being handled: its sender and the last index it proved (prev + n).
  std::uint64_t answering_leader_ = 0;
  std::uint64_t answering_proven_index_ = 0;
  std::string sender_address_; // valid while libraft handles one received message
};

// Conversions between libraft's structs and ours (message_io_convert.cpp).
RaftMessageBody to_wire(const struct raft_message &message);
// Fills *out with memory from raft_malloc, which libraft frees after handling the message.
// Returns a RAFT_* error code (RAFT_NOMEM) or 0.
int to_raft(const RaftMessageBody &body, struct raft_message *out);
Membership to_membership(const struct raft_configuration &conf);
int to_raft_configuration(const Membership &members, struct raft_configuration *out);

} // namespace mycelium::consensus
