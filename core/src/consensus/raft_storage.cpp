#include "mycelium/consensus/raft_storage.hpp"

#include "mycelium/consensus/raft_message_codec.hpp"

#include "byte_io.hpp"
#include "crc32c.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mycelium::consensus {
namespace {

using namespace detail;

// File layouts: schemas/CONSENSUS.md, "Storage".
constexpr char kMetaMagic[8] = {'M', 'C', 'R', 'A', 'F', 'T', 'M', '1'};
constexpr char kLogMagic[8] = {'M', 'C', 'R', 'A', 'F', 'T', 'L', '1'};
constexpr char kSnapshotMagic[8] = {'M', 'C', 'R', 'A', 'F', 'T', 'S', '1'};
constexpr std::size_t kLogHeaderSize = 8 + 8 + 4;
constexpr std::size_t kRecordHeaderSize = 4 + 4;
constexpr std::size_t kEntryFixedSize = 8 + 1; // term, type

[[noreturn]] void format_error(const std::string &message) {
  throw StorageError(message, 0);
}
using FileReader = Reader<void (*)(const std::string &)>;

class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

std::string path_in(const std::string &dir, const char *name) {
  return dir + "/" + name;
}

void throw_errno(const std::string &what) {
  int e = errno;
  throw StorageError(what + ": " + std::strerror(e), e);
}

void write_all_at(int fd, const std::uint8_t *data, std::size_t size, std::uint64_t offset,
                  const std::string &what) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("write " + what);
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

void sync_fd(int fd, const std::string &what) {
  if (::fdatasync(fd) != 0)
    throw_errno("fdatasync " + what);
}

void sync_directory(const std::string &dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0)
    throw_errno("open directory " + dir);
  if (::fsync(fd.get()) != 0)
    throw_errno("fsync directory " + dir);
}

// Write `bytes` as `name` so that a crash leaves either the old or the new file whole.
void replace_file(const std::string &dir, const char *name, const Bytes &bytes) {
  std::string final_path = path_in(dir, name);
  std::string tmp_path = final_path + ".tmp";
  {
    Fd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0)
      throw_errno("create " + tmp_path);
    write_all_at(fd.get(), bytes.data(), bytes.size(), 0, tmp_path);
    if (::fsync(fd.get()) != 0)
      throw_errno("fsync " + tmp_path);
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    throw_errno("rename " + tmp_path);
  sync_directory(dir);
}

// The whole file, or nothing if it does not exist.
std::optional<Bytes> read_file(const std::string &path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT)
      return std::nullopt;
    throw_errno("open " + path);
  }
  Bytes out;
  std::uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("read " + path);
    if (n == 0)
      return out;
    out.insert(out.end(), buf, buf + n);
  }
}

void put_crc(Bytes &out) {
  put_u32(out, crc32c(out.data(), out.size()));
}

// Checks the magic and the trailing CRC of a whole-file record (meta, snapshot).
FileReader open_checked(const Bytes &file, const char (&magic)[8], const std::string &name) {
  if (file.size() < 12 || std::memcmp(file.data(), magic, 8) != 0)
    format_error(name + ": not a Mycelium Raft file of this version");
  std::size_t body = file.size() - 4;
  FileReader crc_reader(file.data() + body, 4, &format_error);
  if (crc_reader.u32("crc") != crc32c(file.data(), body))
    format_error(name + ": checksum mismatch");
  FileReader r(file.data(), body, &format_error);
  r.take(8, "magic");
  return r;
}

Bytes encode_snapshot(const StoredSnapshot &s) {
  Bytes out(kSnapshotMagic, kSnapshotMagic + 8);
  put_u64(out, s.index);
  put_u64(out, s.term);
  put_u64(out, s.conf_index);
  append_membership(out, s.configuration);
  put_u64(out, s.data.size());
  put_bytes(out, s.data.data(), s.data.size());
  put_crc(out);
  return out;
}

StoredSnapshot decode_snapshot(const Bytes &file) {
  FileReader r = open_checked(file, kSnapshotMagic, "snapshot");
  StoredSnapshot s;
  s.index = r.u64("index");
  s.term = r.u64("term");
  s.conf_index = r.u64("conf_index");
  std::uint32_t n = r.u32("member count");
  for (std::uint32_t i = 0; i < n; ++i) {
    Member m;
    m.id = r.u64("member id");
    m.role = static_cast<MemberRole>(r.u8("member role"));
    std::uint16_t len = r.u16("address length");
    const std::uint8_t *p = r.take(len, "address");
    m.address.assign(reinterpret_cast<const char *>(p), len);
    s.configuration.push_back(std::move(m));
  }
  s.data = r.bytes(r.u64("data length"), "data");
  r.expect_end("snapshot");
  return s;
}

Bytes log_header(std::uint64_t first_index) {
  Bytes out(kLogMagic, kLogMagic + 8);
  put_u64(out, first_index);
  put_crc(out);
  return out;
}

void append_record(Bytes &out, const EntryRef &e) {
  Bytes payload;
  payload.reserve(kEntryFixedSize + e.size);
  put_u64(payload, e.term);
  put_u8(payload, static_cast<std::uint8_t>(e.type));
  put_bytes(payload, e.data, e.size);
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, crc32c(payload.data(), payload.size()));
  put_bytes(out, payload.data(), payload.size());
}

bool all_zero(const Bytes &b, std::size_t from) {
  for (std::size_t i = from; i < b.size(); ++i)
    if (b[i] != 0)
      return false;
  return true;
}

struct ParsedLog {
  std::uint64_t first_index = 1;
  std::vector<LogEntry> entries;
  std::vector<std::uint64_t> offsets;
  std::uint64_t good_end = 0;
};

// One record at `pos`, or nullopt when the bytes there are not a whole valid record.
std::optional<LogEntry> parse_record(const Bytes &file, std::size_t pos, std::size_t *next) {
  if (file.size() - pos < kRecordHeaderSize)
    return std::nullopt;
  FileReader h(file.data() + pos, kRecordHeaderSize, &format_error);
  std::uint32_t len = h.u32("length");
  std::uint32_t crc = h.u32("crc");
  if (len < kEntryFixedSize || len > file.size() - pos - kRecordHeaderSize)
    return std::nullopt;
  const std::uint8_t *payload = file.data() + pos + kRecordHeaderSize;
  if (crc32c(payload, len) != crc)
    return std::nullopt;
  FileReader r(payload, len, &format_error);
  LogEntry e;
  e.term = r.u64("term");
  std::uint8_t type = r.u8("type");
  if (type < 1 || type > 3)
    return std::nullopt;
  e.type = static_cast<EntryType>(type);
  e.data = r.bytes(r.remaining(), "data");
  *next = pos + kRecordHeaderSize + len;
  return e;
}

// A bad record is a torn write when nothing valid can follow it: it runs past the end of the
// file, or everything after its start is zeros (a file extended but not written).
bool is_torn_tail(const Bytes &file, std::size_t pos) {
  if (all_zero(file, pos))
    return true;
  if (file.size() - pos < kRecordHeaderSize)
    return true;
  FileReader h(file.data() + pos, 4, &format_error);
  std::uint64_t len = h.u32("length");
  return pos + kRecordHeaderSize + len >= file.size();
}

ParsedLog parse_log(const Bytes &file) {
  if (file.size() < kLogHeaderSize || std::memcmp(file.data(), kLogMagic, 8) != 0)
    format_error("log: bad header");
  FileReader h(file.data(), kLogHeaderSize, &format_error);
  h.take(8, "magic");
  ParsedLog log;
  log.first_index = h.u64("first index");
  if (h.u32("crc") != crc32c(file.data(), kLogHeaderSize - 4) || log.first_index == 0)
    format_error("log: header checksum mismatch");
  std::size_t pos = kLogHeaderSize;
  while (pos < file.size()) {
    std::size_t next = 0;
    std::optional<LogEntry> e = parse_record(file, pos, &next);
    if (!e) {
      if (!is_torn_tail(file, pos))
        format_error("log: corrupt record at offset " + std::to_string(pos) +
                     " followed by more data (index " +
                     std::to_string(log.first_index + log.entries.size()) + ")");
      break;
    }
    log.offsets.push_back(pos);
    log.entries.push_back(std::move(*e));
    pos = next;
  }
  log.good_end = pos;
  return log;
}

} // namespace

bool StorageError::out_of_space() const {
  return error_number_ == ENOSPC || error_number_ == EDQUOT;
}

RaftStorage::RaftStorage(Options options) : options_(std::move(options)) {
  if (::mkdir(options_.directory.c_str(), 0700) == 0) {
    std::string parent = options_.directory.substr(0, options_.directory.find_last_of('/'));
    sync_directory(parent.empty() ? "/" : parent);
  } else if (errno != EEXIST) {
    throw_errno("create " + options_.directory);
  }
}

RaftStorage::~RaftStorage() {
  if (log_fd_ >= 0)
    ::close(log_fd_);
}

void RaftStorage::fail(const std::string &what, int error_number) {
  failed_ = true;
  throw StorageError(what, error_number);
}

void RaftStorage::check_writable(std::string_view operation) {
  if (failed_)
    throw StorageError("storage failed earlier; reopen it", EIO);
  if (log_fd_ < 0)
    throw StorageError("storage used before load()", 0);
  if (options_.inject_fault && options_.inject_fault(operation))
    fail("injected disk fault in " + std::string(operation), EIO);
}

LoadedState RaftStorage::load() {
  const std::string &dir = options_.directory;
  LoadedState state;
  if (std::optional<Bytes> meta = read_file(path_in(dir, "meta"))) {
    FileReader r = open_checked(*meta, kMetaMagic, "meta");
    state.term = r.u64("term");
    state.voted_for = r.u64("vote");
    r.expect_end("meta");
  }
  if (std::optional<Bytes> snap = read_file(path_in(dir, "snapshot")))
    state.snapshot = decode_snapshot(*snap);

  std::uint64_t after_snapshot = state.snapshot ? state.snapshot->index + 1 : 1;
  std::optional<Bytes> file = read_file(path_in(dir, "log"));
  if (!file) {
    replace_file(dir, "log", log_header(after_snapshot));
    file = log_header(after_snapshot);
  }
  ParsedLog log = parse_log(*file);
  if (log.good_end < file->size()) {
    state.torn_bytes_cut = file->size() - log.good_end;
    Fd fd(::open(path_in(dir, "log").c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::ftruncate(fd.get(), static_cast<off_t>(log.good_end)) != 0)
      throw_errno("cut the torn log tail");
    sync_fd(fd.get(), "log");
  }

  if (log_fd_ >= 0)
    ::close(log_fd_);
  log_fd_ = -1;
  term_ = state.term;
  voted_for_ = state.voted_for;
  first_index_ = log.first_index;
  log_end_ = log.good_end;
  entry_offsets_ = std::move(log.offsets);
  entry_terms_.clear();
  for (const LogEntry &e : log.entries)
    entry_terms_.push_back(e.term);
  has_snapshot_ = state.snapshot.has_value();
  snapshot_index_ = has_snapshot_ ? state.snapshot->index : 0;
  snapshot_term_ = has_snapshot_ ? state.snapshot->term : 0;
  open_log_for_append();

  // A crash between writing a snapshot and rewriting the log leaves a log that does not follow
  // the snapshot: one that starts after it, ends before it, or disagrees on its term. The
  // snapshot is the newer truth; such a log is dropped.
  if (has_snapshot_) {
    bool gap = first_index_ > snapshot_index_ + 1;
    bool short_or_diverged = last_index() < snapshot_index_ ||
                             (first_index_ <= snapshot_index_ &&
                              entry_terms_[snapshot_index_ - first_index_] != snapshot_term_);
    if (gap || short_or_diverged) {
      rewrite_log(snapshot_index_ + 1, last_index() + 1);
      log.entries.clear();
    }
  }
  state.first_index = first_index_;
  state.entries = std::move(log.entries);
  return state;
}

void RaftStorage::open_log_for_append() {
  log_fd_ = ::open(path_in(options_.directory, "log").c_str(), O_WRONLY | O_CLOEXEC);
  if (log_fd_ < 0)
    throw_errno("open log");
}

bool RaftStorage::pristine() const {
  return entry_terms_.empty() && !has_snapshot_;
}

std::uint64_t RaftStorage::last_index() const {
  return first_index_ + entry_terms_.size() - 1;
}

std::uint64_t RaftStorage::term_at(std::uint64_t index) const {
  if (index >= first_index_ && index <= last_index())
    return entry_terms_[index - first_index_];
  if (has_snapshot_ && index == snapshot_index_)
    return snapshot_term_;
  return 0;
}

void RaftStorage::write_meta(std::uint64_t term, std::uint64_t vote) {
  Bytes out(kMetaMagic, kMetaMagic + 8);
  put_u64(out, term);
  put_u64(out, vote);
  put_crc(out);
  try {
    replace_file(options_.directory, "meta", out);
  } catch (const StorageError &e) {
    fail(e.what(), e.error_number());
  }
  term_ = term;
  voted_for_ = vote;
}

void RaftStorage::set_term(std::uint64_t term) {
  check_writable("set_term");
  write_meta(term, 0);
}

void RaftStorage::set_vote(std::uint64_t server_id) {
  check_writable("set_vote");
  write_meta(term_, server_id);
}

void RaftStorage::bootstrap(const Bytes &configuration) {
  check_writable("bootstrap");
  if (!pristine())
    throw StorageError("bootstrap: the log is not empty", 0);
  // The term first: a crash after it leaves a log that is still empty, so bootstrapping again
  // is allowed (pristine() looks at the log only).
  write_meta(1, 0);
  append({EntryRef{1, EntryType::Change, configuration.data(), configuration.size()}});
}

std::uint64_t RaftStorage::append(const std::vector<EntryRef> &entries) {
  check_writable("append");
  std::uint64_t first = last_index() + 1;
  Bytes buf;
  std::vector<std::uint64_t> offsets;
  for (const EntryRef &e : entries) {
    offsets.push_back(log_end_ + buf.size());
    append_record(buf, e);
  }
  try {
    write_all_at(log_fd_, buf.data(), buf.size(), log_end_, "log");
    sync_fd(log_fd_, "log");
  } catch (const StorageError &e) {
    fail(e.what(), e.error_number());
  }
  log_end_ += buf.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entry_offsets_.push_back(offsets[i]);
    entry_terms_.push_back(entries[i].term);
  }
  return first;
}

std::uint64_t RaftStorage::truncate_from(std::uint64_t index) {
  check_writable("truncate");
  if (index < first_index_)
    index = first_index_;
  if (index > last_index())
    return 0;
  std::size_t keep = index - first_index_;
  std::uint64_t removed = entry_terms_.size() - keep;
  std::uint64_t new_end = entry_offsets_[keep];
  if (::ftruncate(log_fd_, static_cast<off_t>(new_end)) != 0)
    fail(std::string("truncate log: ") + std::strerror(errno), errno);
  try {
    sync_fd(log_fd_, "log");
  } catch (const StorageError &e) {
    fail(e.what(), e.error_number());
  }
  log_end_ = new_end;
  entry_offsets_.resize(keep);
  entry_terms_.resize(keep);
  return removed;
}

// Replaces the log file with one that starts at `first_index` and holds the current records
// from index `keep_from` on (none when keep_from is past the last index).
void RaftStorage::rewrite_log(std::uint64_t first_index, std::uint64_t keep_from) {
  Bytes file = log_header(first_index);
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint64_t> terms;
  if (keep_from <= last_index()) {
    std::uint64_t from = entry_offsets_[keep_from - first_index_];
    Bytes records(log_end_ - from);
    Fd fd(::open(path_in(options_.directory, "log").c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::pread(fd.get(), records.data(), records.size(),
                                static_cast<off_t>(from)) != static_cast<ssize_t>(records.size()))
      fail("read log for compaction", errno);
    for (std::uint64_t i = keep_from; i <= last_index(); ++i) {
      offsets.push_back(entry_offsets_[i - first_index_] - from + kLogHeaderSize);
      terms.push_back(entry_terms_[i - first_index_]);
    }
    file.insert(file.end(), records.begin(), records.end());
  }
  try {
    replace_file(options_.directory, "log", file);
  } catch (const StorageError &e) {
    fail(e.what(), e.error_number());
  }
  ::close(log_fd_);
  log_fd_ = -1;
  open_log_for_append();
  first_index_ = first_index;
  entry_offsets_ = std::move(offsets);
  entry_terms_ = std::move(terms);
  log_end_ = file.size();
}

void RaftStorage::put_snapshot(const StoredSnapshot &snapshot, std::uint64_t trailing) {
  check_writable("snapshot");
  try {
    replace_file(options_.directory, "snapshot", encode_snapshot(snapshot));
  } catch (const StorageError &e) {
    fail(e.what(), e.error_number());
  }
  has_snapshot_ = true;
  snapshot_index_ = snapshot.index;
  snapshot_term_ = snapshot.term;
  if (trailing == 0) {
    rewrite_log(snapshot.index + 1, last_index() + 1);
    return;
  }
  std::uint64_t keep_from = snapshot.index > trailing ? snapshot.index - trailing + 1 : 1;
  if (keep_from > first_index_)
    rewrite_log(keep_from, keep_from);
}

std::optional<StoredSnapshot> RaftStorage::read_snapshot() const {
  std::optional<Bytes> file = read_file(path_in(options_.directory, "snapshot"));
  if (!file)
    return std::nullopt;
  return decode_snapshot(*file);
}

} // namespace mycelium::consensus
