// Every statement the agent runs against its node's database, typed: the agent's one owner of SQL
// text. Each operation runs on the Database thread and reports back on the loop thread with the
// error (nullopt on success) and its typed result, so the rest of the agent never sees a row.
#pragma once

#include "database.hpp"
#include "node_store_facts.hpp"

#include "mycelium/protocol/messages.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mycelium::agent {

// One row of mycelium.node_metadata.
struct RegisteredNode {
  std::string node_id;
  std::string public_key; // hex, as registered
  std::string node_type;
  bool active = false;
  double stake = 0;
};

// mycelium.blacklist (after dropping expired rows) and mycelium.blacklist_lifts.
struct BlacklistSnapshot {
  std::vector<protocol::BlacklistEntry> entries;
  std::vector<std::pair<std::string, std::int64_t>> lifts; // node_id, lifted_at_ms
};

// A page of audit entries for a DB sync request.
struct SyncPage {
  std::vector<protocol::AuditEntry> entries;
  bool more = false; // the page filled before every cursor was served to its end
};

// One row of mycelium.elected_shards: an elected shard this node holds.
struct ElectedShard {
  std::string shard_id;
  std::string kind; // "primary" or "replica"
  std::string primary_node;
  std::int64_t term = 0;
  std::int64_t head_seq = 0;
  std::string head_hash_hex; // "" when the chain is empty
  bool voters_known = false; // the primary lists the voters; a replica has NULL
  std::vector<std::string> voters;
};

// What the agent tells its database about one group (mycelium.report_consensus).
struct ConsensusReport {
  std::string shard_id;
  std::uint64_t term = 0;
  std::string leader;                 // "" unknown
  std::uint64_t lease_expires_ms = 0; // CLOCK_MONOTONIC ms; 0: no lease
};

// mycelium.apply_shard_epoch's answer.
struct EpochApplied {
  std::string outcome; // primary, replica, stale, already
  long long moved_aside = 0;
};

// mycelium.shard_head: the chain's head and the term of its last entry.
struct ShardHead {
  std::int64_t seq = 0;
  std::string hash_hex; // "" when the chain is empty
  std::int64_t term = 0;
};

class NodeStore {
public:
  template <class T>
  using Done = std::function<void(const std::optional<std::string> &error, T result)>;
  using DoneVoid = std::function<void(const std::optional<std::string> &error)>;

  NodeStore(uv_loop_t *loop, std::string dsn) : db_(loop, std::move(dsn)) {}

  // `chain`: the configuration has a chain: section, so the login also needs to store the
  // metagraph (mycelium_chain).
  void read_startup_facts(std::string node_id, bool chain, Done<StartupFacts> done);
  void read_registry(Done<std::vector<RegisteredNode>> done);
  // mycelium.note_peer: a peer authenticated with this protocol version.
  void note_peer(std::string peer, std::string protocol_version, DoneVoid done);
  // mycelium.note_peer_status: the peer's last status message, as JSON.
  void note_peer_status(std::string peer, std::string status_json, DoneVoid done);
  // The cursors of the replica shards `primary` serves to this node: where DB sync resumes.
  void replica_cursors(std::string primary, Done<std::vector<protocol::SyncCursor>> done);
  // The entries after each cursor, in cursor then seq order, at most `page_size` in all.
  void changes_after(std::vector<protocol::SyncCursor> cursors, std::uint32_t page_size,
                     Done<SyncPage> done);
  // Offers the entries to the verifying inbox in one transaction; the result is how many the
  // inbox refused in that transaction (mycelium.inbox_rejections).
  void apply_entries(std::shared_ptr<const std::vector<protocol::AuditEntry>> entries,
                     Done<long long> done);
  // mycelium.blacklist_add, which verifies the entry's signature again.
  void store_blacklist_entry(protocol::BlacklistEntry entry, std::string received_from,
                             DoneVoid done);
  // mycelium.store_metagraph: the subnet's neurons at one block, replacing the previous set;
  // `neurons_json` is the JSON array the function takes. The result is how many it stored.
  void store_metagraph(int netuid, std::uint64_t block_number, std::string block_hash_hex,
                       std::string neurons_json, Done<long long> done);
  // Elected shards (schemas/CONSENSUS.md, "Elected shards: the agent").
  void read_elected_shards(Done<std::vector<ElectedShard>> done);
  void report_consensus(std::vector<ConsensusReport> reports, std::string boot_id, DoneVoid done);
  // `members`: the group's members (node ids) as this node knows them; on the new primary each
  // becomes a replica of the shard (its voters list then keeps them).
  void apply_shard_epoch(std::string shard_id, std::uint64_t term, std::string primary_node,
                         std::int64_t start_seq, std::string start_hash_hex,
                         std::vector<std::string> members, Done<EpochApplied> done);
  void shard_head(std::string shard_id, Done<ShardHead> done);
  // The DB sync cursor of one shard, whoever its primary (taking office asks any member).
  void shard_cursor(std::string shard_id, std::string origin, Done<protocol::SyncCursor> done);
  // Drops expired entries (mycelium.blacklist_expire), then reads entries and lifts.
  void read_blacklist(Done<BlacklistSnapshot> done);

  const Database::Reachability &reachability() const { return db_.reachability(); }
  static bool is_unreachable(const std::string &error) { return Database::is_unreachable(error); }
  void stop() { db_.stop(); }

private:
  // Runs `work` on the database thread; `done` gets its result (default-constructed on error).
  template <class T> void run(std::function<T(pgclient::Connection &)> work, Done<T> done) {
    auto result = std::make_shared<T>();
    db_.submit([work = std::move(work), result](pgclient::Connection &db) { *result = work(db); },
               [done = std::move(done), result](const std::optional<std::string> &error) {
                 if (done)
                   done(error, std::move(*result));
               });
  }

  Database db_;
};

} // namespace mycelium::agent
