// Conversions between libraft 0.15's message structs and ours. The rules on libraft's side
// (src/recv.c, src/entry.c in 0.15): received entries come in one raft_malloc'd array whose
// entries all point into raft_malloc'd batches (never a NULL batch), with a NULL array for zero
// entries; a snapshot's configuration and data are raft_malloc'd; libraft frees all of it.
#include "message_io.hpp"

#include <cstring>

namespace mycelium::consensus {
namespace {

LogEntry entry_from_raft(const struct raft_entry &e) {
  LogEntry out;
  out.term = e.term;
  out.type = static_cast<EntryType>(e.type);
  const auto *p = static_cast<const std::uint8_t *>(e.buf.base);
  out.data.assign(p, p + e.buf.len);
  return out;
}

// All entries' data in one batch, as libraft's own backends deliver them.
int entries_to_raft(const std::vector<LogEntry> &entries, struct raft_entry **out_entries,
                    unsigned *out_n) {
  *out_entries = nullptr;
  *out_n = 0;
  if (entries.empty())
    return 0;
  std::size_t total = 0;
  for (const LogEntry &e : entries)
    total += e.data.size();
  auto *array =
      static_cast<struct raft_entry *>(raft_calloc(entries.size(), sizeof(struct raft_entry)));
  auto *batch = static_cast<std::uint8_t *>(raft_malloc(total == 0 ? 1 : total));
  if (array == nullptr || batch == nullptr) {
    raft_free(array);
    raft_free(batch);
    return RAFT_NOMEM;
  }
  std::size_t offset = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    array[i].term = entries[i].term;
    array[i].type = static_cast<unsigned short>(entries[i].type);
    array[i].buf.base = batch + offset;
    array[i].buf.len = entries[i].data.size();
    array[i].batch = batch;
    if (!entries[i].data.empty())
      std::memcpy(batch + offset, entries[i].data.data(), entries[i].data.size());
    offset += entries[i].data.size();
  }
  *out_entries = array;
  *out_n = static_cast<unsigned>(entries.size());
  return 0;
}

} // namespace

Membership to_membership(const struct raft_configuration &conf) {
  Membership members;
  for (unsigned i = 0; i < conf.n; ++i)
    members.push_back(Member{conf.servers[i].id, conf.servers[i].address,
                             static_cast<MemberRole>(conf.servers[i].role)});
  return members;
}

int to_raft_configuration(const Membership &members, struct raft_configuration *out) {
  raft_configuration_init(out);
  for (const Member &m : members) {
    int rv = raft_configuration_add(out, m.id, m.address.c_str(), static_cast<int>(m.role));
    if (rv != 0) {
      raft_configuration_close(out);
      return rv;
    }
  }
  return 0;
}

RaftMessageBody to_wire(const struct raft_message &m) {
  switch (m.type) {
  case RAFT_IO_APPEND_ENTRIES: {
    const auto &a = m.append_entries;
    AppendEntries out{a.term, a.prev_log_index, a.prev_log_term, a.leader_commit, {}};
    for (unsigned i = 0; i < a.n_entries; ++i)
      out.entries.push_back(entry_from_raft(a.entries[i]));
    return out;
  }
  case RAFT_IO_APPEND_ENTRIES_RESULT: {
    const auto &a = m.append_entries_result;
    return AppendEntriesResult{a.term, a.rejected, a.last_log_index};
  }
  case RAFT_IO_REQUEST_VOTE: {
    const auto &a = m.request_vote;
    return RequestVote{a.term,          a.candidate_id,   a.last_log_index,
                       a.last_log_term, a.disrupt_leader, a.pre_vote};
  }
  case RAFT_IO_REQUEST_VOTE_RESULT: {
    const auto &a = m.request_vote_result;
    PreVoteFlag flag = a.pre_vote == raft_tribool_true    ? PreVoteFlag::Yes
                       : a.pre_vote == raft_tribool_false ? PreVoteFlag::No
                                                          : PreVoteFlag::Unknown;
    return RequestVoteResult{a.term, a.vote_granted, flag};
  }
  case RAFT_IO_INSTALL_SNAPSHOT: {
    const auto &a = m.install_snapshot;
    const auto *p = static_cast<const std::uint8_t *>(a.data.base);
    return InstallSnapshot{a.term,       a.last_index,
                           a.last_term,  to_membership(a.conf),
                           a.conf_index, Bytes(p, p + a.data.len)};
  }
  default: {
    const auto &a = m.timeout_now;
    return TimeoutNow{a.term, a.last_log_index, a.last_log_term};
  }
  }
}

int to_raft(const RaftMessageBody &body, struct raft_message *out) {
  std::memset(out, 0, sizeof *out);
  out->type = static_cast<unsigned short>(kind_of(body));
  if (const auto *a = std::get_if<AppendEntries>(&body)) {
    auto &r = out->append_entries;
    r.term = a->term;
    r.prev_log_index = a->prev_log_index;
    r.prev_log_term = a->prev_log_term;
    r.leader_commit = a->leader_commit;
    return entries_to_raft(a->entries, &r.entries, &r.n_entries);
  }
  if (const auto *a = std::get_if<AppendEntriesResult>(&body)) {
    out->append_entries_result = {a->term, a->rejected, a->last_log_index};
    return 0;
  }
  if (const auto *a = std::get_if<RequestVote>(&body)) {
    out->request_vote = {a->term,          a->candidate_id,   a->last_log_index,
                         a->last_log_term, a->disrupt_leader, a->pre_vote};
    return 0;
  }
  if (const auto *a = std::get_if<RequestVoteResult>(&body)) {
    raft_tribool flag = a->pre_vote == PreVoteFlag::Yes  ? raft_tribool_true
                        : a->pre_vote == PreVoteFlag::No ? raft_tribool_false
                                                         : raft_tribool_unknown;
    out->request_vote_result = {a->term, a->vote_granted, flag};
    return 0;
  }
  if (const auto *a = std::get_if<InstallSnapshot>(&body)) {
    auto &r = out->install_snapshot;
    r.term = a->term;
    r.last_index = a->last_index;
    r.last_term = a->last_term;
    r.conf_index = a->conf_index;
    int rv = to_raft_configuration(a->configuration, &r.conf);
    if (rv != 0)
      return rv;
    r.data.len = a->data.size();
    r.data.base = raft_malloc(a->data.empty() ? 1 : a->data.size());
    if (r.data.base == nullptr) {
      raft_configuration_close(&r.conf);
      return RAFT_NOMEM;
    }
    if (!a->data.empty())
      std::memcpy(r.data.base, a->data.data(), a->data.size());
    return 0;
  }
  const auto &a = std::get<TimeoutNow>(body);
  out->timeout_now = {a.term, a.last_log_index, a.last_log_term};
  return 0;
}

} // namespace mycelium::consensus
