#include "mycelium/consensus/raft_storage.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mycelium;
using namespace mycelium::consensus;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mycelium-raft-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string sub(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

EntryRef ref(std::uint64_t term, const Bytes &data) {
  return EntryRef{term, EntryType::Command, data.data(), data.size()};
}

std::uint64_t file_size(const std::string &path) {
  return fs::file_size(path);
}

} // namespace

TEST(ConsensusStorage, PersistsTermVoteAndEntries) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  Bytes a{1, 2, 3}, b{4}, c{};
  {
    RaftStorage s({dir, nullptr});
    LoadedState st = s.load();
    EXPECT_TRUE(s.pristine());
    EXPECT_EQ(st.term, 0u);
    s.bootstrap(Bytes{9, 9});
    s.set_term(3);
    s.set_vote(2);
    EXPECT_EQ(s.append({ref(3, a), ref(3, b)}), 2u);
    EXPECT_EQ(s.append({ref(3, c)}), 4u);
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  EXPECT_EQ(st.term, 3u);
  EXPECT_EQ(st.voted_for, 2u);
  EXPECT_EQ(st.first_index, 1u);
  ASSERT_EQ(st.entries.size(), 4u);
  EXPECT_EQ(st.entries[0].type, EntryType::Change);
  EXPECT_EQ(st.entries[0].term, 1u);
  EXPECT_EQ(st.entries[1].data, a);
  EXPECT_EQ(st.entries[3].data, c);
  EXPECT_EQ(s.term_at(2), 3u);
  EXPECT_EQ(s.last_index(), 4u);
  EXPECT_FALSE(s.pristine());
}

TEST(ConsensusStorage, SetTermClearsTheVote) {
  TempDir tmp;
  RaftStorage s({tmp.sub("g"), nullptr});
  s.load();
  s.set_term(2);
  s.set_vote(5);
  s.set_term(3);
  EXPECT_EQ(s.load().voted_for, 0u);
}

TEST(ConsensusStorage, TruncateRemovesTheTailDurably) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  Bytes x{1};
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, x), ref(1, x), ref(2, x), ref(2, x)});
    EXPECT_EQ(s.truncate_from(3), 2u);
    EXPECT_EQ(s.truncate_from(9), 0u);
    s.append({ref(3, Bytes{7})});
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  ASSERT_EQ(st.entries.size(), 3u);
  EXPECT_EQ(st.entries[2].term, 3u);
  EXPECT_EQ(st.entries[2].data, Bytes{7});
}

TEST(ConsensusStorage, TornTailIsCutOnLoad) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, Bytes(100, 1)), ref(1, Bytes(100, 2))});
  }
  std::string log = dir + "/log";
  std::uint64_t whole = file_size(log);
  // A crash in the middle of writing the second record: half of it reached the disk.
  ASSERT_EQ(::truncate(log.c_str(), static_cast<off_t>(whole - 60)), 0);
  {
    RaftStorage s({dir, nullptr});
    LoadedState st = s.load();
    ASSERT_EQ(st.entries.size(), 1u);
    EXPECT_GT(st.torn_bytes_cut, 0u);
    s.append({ref(1, Bytes{3})}); // writing continues after the good prefix
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  ASSERT_EQ(st.entries.size(), 2u);
  EXPECT_EQ(st.entries[1].data, Bytes{3});
  EXPECT_EQ(st.torn_bytes_cut, 0u);
}

TEST(ConsensusStorage, ZeroFilledTailIsTorn) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, Bytes(10, 1))});
  }
  {
    std::ofstream out(dir + "/log", std::ios::app | std::ios::binary);
    out << std::string(64, '\0'); // the file grew but the data never landed
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  EXPECT_EQ(st.entries.size(), 1u);
  EXPECT_EQ(st.torn_bytes_cut, 64u);
}

TEST(ConsensusStorage, CorruptionBeforeTheTailIsRefused) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, Bytes(100, 1)), ref(1, Bytes(100, 2)), ref(1, Bytes(100, 3))});
  }
  // Flip a byte inside the first record's data: acknowledged entries follow it, so this is not
  // a torn write and silently cutting would lose them.
  int fd = ::open((dir + "/log").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::uint8_t junk = 0x55;
  ASSERT_EQ(::pwrite(fd, &junk, 1, 20 + 8 + 20), 1);
  ::close(fd);
  RaftStorage s({dir, nullptr});
  EXPECT_THROW(s.load(), StorageError);
}

TEST(ConsensusStorage, CorruptMetaIsRefused) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.set_term(5);
  }
  int fd = ::open((dir + "/meta").c_str(), O_RDWR);
  std::uint8_t junk = 0x77;
  ASSERT_EQ(::pwrite(fd, &junk, 1, 9), 1);
  ::close(fd);
  RaftStorage s({dir, nullptr});
  EXPECT_THROW(s.load(), StorageError);
}

TEST(ConsensusStorage, SnapshotWithTrailingKeepsTheTail) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  Bytes x{1};
  {
    RaftStorage s({dir, nullptr});
    s.load();
    for (int i = 0; i < 10; ++i)
      s.append({ref(1, Bytes{static_cast<std::uint8_t>(i)})});
    StoredSnapshot snap{8, 1, {{1, "a", MemberRole::Voter}}, 1, Bytes{42}};
    s.put_snapshot(snap, 3); // keep entries 6..10
    EXPECT_EQ(s.first_index(), 6u);
    EXPECT_EQ(s.last_index(), 10u);
    s.append({ref(2, x)});
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  ASSERT_TRUE(st.snapshot);
  EXPECT_EQ(st.snapshot->index, 8u);
  EXPECT_EQ(st.snapshot->data, Bytes{42});
  EXPECT_EQ(st.snapshot->configuration.at(0).address, "a");
  EXPECT_EQ(st.first_index, 6u);
  ASSERT_EQ(st.entries.size(), 6u);
  EXPECT_EQ(st.entries[0].data, Bytes{5});
  EXPECT_EQ(st.entries[5].term, 2u);
}

TEST(ConsensusStorage, InstalledSnapshotReplacesTheLog) {
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, Bytes{1}), ref(1, Bytes{2})});
    s.put_snapshot(StoredSnapshot{50, 4, {{1, "a", MemberRole::Voter}}, 40, Bytes{1, 2}}, 0);
    EXPECT_EQ(s.first_index(), 51u);
    EXPECT_EQ(s.term_at(50), 4u);
    EXPECT_EQ(s.append({ref(4, Bytes{3})}), 51u);
  }
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  EXPECT_EQ(st.first_index, 51u);
  ASSERT_EQ(st.entries.size(), 1u);
}

TEST(ConsensusStorage, LogNotFollowingTheSnapshotIsDroppedOnLoad) {
  // The crash between renaming the new snapshot into place and rewriting the log.
  TempDir tmp;
  std::string dir = tmp.sub("g");
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.append({ref(1, Bytes{1}), ref(1, Bytes{2})});
  }
  std::string saved_log = dir + "/log.saved";
  fs::copy_file(dir + "/log", saved_log);
  {
    RaftStorage s({dir, nullptr});
    s.load();
    s.put_snapshot(StoredSnapshot{50, 4, {{1, "a", MemberRole::Voter}}, 40, Bytes{}}, 0);
  }
  fs::copy_file(saved_log, dir + "/log", fs::copy_options::overwrite_existing);
  RaftStorage s({dir, nullptr});
  LoadedState st = s.load();
  ASSERT_TRUE(st.snapshot);
  EXPECT_EQ(st.first_index, 51u);
  EXPECT_TRUE(st.entries.empty());
}

TEST(ConsensusStorage, InjectedDiskFaultFailsTheWriteAndEveryLaterOne) {
  TempDir tmp;
  bool fault = false;
  RaftStorage s({tmp.sub("g"), [&fault](std::string_view op) { return fault && op == "append"; }});
  s.load();
  s.append({ref(1, Bytes{1})});
  fault = true;
  EXPECT_THROW(s.append({ref(1, Bytes{2})}), StorageError);
  EXPECT_TRUE(s.failed());
  fault = false;
  EXPECT_THROW(s.set_term(4), StorageError); // fail-stop: reopen to continue
  RaftStorage reopened({tmp.sub("g"), nullptr});
  EXPECT_EQ(reopened.load().entries.size(), 1u);
}

TEST(ConsensusStorage, BootstrapRefusedOnANonEmptyLog) {
  TempDir tmp;
  RaftStorage s({tmp.sub("g"), nullptr});
  s.load();
  s.append({ref(1, Bytes{1})});
  EXPECT_THROW(s.bootstrap(Bytes{1}), StorageError);
}
