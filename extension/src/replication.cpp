// The pushing side of replication: peer servers (postgres_fdw servers and foreign tables per
// node, mycelium.peer_servers), add_replica / remove_replica, the push of audit entries into a
// replica's inbox, push_now and the worker's round, verify_replica, and attach/detach of remote
// shards for reading.
//
// No two-phase commit exists through postgres_fdw, so a push is made safe to repeat instead:
// the replica's chain head, read back from the replica, is the only record of progress that
// counts; entries at or below it are no-ops there. A push that committed remotely but not
// locally is simply sent again from the replica's head.
#include "mycelium/canonical_json.hpp"
#include "mycelium/catalog/audit_log.hpp"
#include "mycelium/catalog/nodes.hpp"
#include "mycelium/catalog/peers.hpp"
#include "mycelium/catalog/records.hpp"
#include "mycelium/catalog/replicas.hpp"
#include "mycelium/error.hpp"
#include "mycelium/ext/node_key.hpp"
#include "mycelium/ext/peer_servers.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/shard_id.hpp"
#include "mycelium/ext/copy_progress.hpp"
#include "mycelium/ext/internal_scope.hpp"
#include "mycelium/ext/settings.hpp"
#include "mycelium/catalog/shards.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/pg/datum.hpp"
#include "mycelium/pg/spi.hpp"
#include "mycelium/pg/subtransaction.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/timestamp.h"
}

#include <algorithm>
#include <unordered_map>
#include <vector>

using namespace mycelium;

namespace {

// Statements whose text names a peer's schema: prepared once per text.
pg::Statement &statement(const std::string &sql) {
  static std::unordered_map<std::string, pg::Statement> cache;
  auto it = cache.find(sql);
  if (it == cache.end())
    it = cache.emplace(sql, pg::Statement(sql)).first;
  return it->second;
}

struct Peer {
  std::string schema;      // quoted
  std::string push_server; // quoted
  std::string read_server; // quoted
};

Peer quoted(const catalog::PeerServerNames &names) {
  return Peer{pg::quote_identifier(names.schema), pg::quote_identifier(names.push_server),
              pg::quote_identifier(names.read_server)};
}

std::optional<Peer> find_peer(const std::string &node_id) {
  if (const std::optional<catalog::PeerServerNames> names = catalog::find_peer_servers(node_id))
    return quoted(*names);
  return std::nullopt;
}

void map_user(const std::string &node_id, catalog::PeerPurpose purpose,
              const std::string &server_name, const std::string &server) {
  const std::optional<catalog::PeerLogin> login = catalog::find_peer_login(node_id, purpose);
  if (!login)
    return;
  const std::string &user = login->user;
  const std::optional<std::string> &password = login->password;
  static pg::Statement mapped(
      "SELECT 1 FROM pg_user_mappings WHERE srvname = $1 AND usename = 'public'");
  if (mapped.execute({pg::text_param(server_name)}) > 0)
    pg::execute_sql("DROP USER MAPPING FOR PUBLIC SERVER " + server);
  // FOR PUBLIC: the push server's foreign tables are reachable only by superuser-owned code;
  // the read server's are read by ordinary roles through their foreign partitions, hence
  // password_required 'false' (the remote side decides how it authenticates).
  pg::execute_sql("CREATE USER MAPPING FOR PUBLIC SERVER " + server + " OPTIONS (user " +
                  pg::quote_literal(user) +
                  (password ? ", password " + pg::quote_literal(*password) : "") +
                  ", password_required 'false')");
}

// Creates or refreshes the servers, user mappings and foreign tables for a node.
Peer ensure_peer(const std::string &node_id) {
  const std::optional<catalog::NodeRow> node = catalog::find_node(node_id);
  if (!node)
    throw Error(sqlstate::kUndefinedObject, "node \"" + node_id + "\" is not registered");
  const std::string &ip = node->ip;
  const std::string port = std::to_string(node->port);
  const std::string &dbname = node->dbname;
  if (!node->active)
    throw Error(sqlstate::kInactiveNode, "node \"" + node_id + "\" is not active");
  if (node_id == catalog::local_node_id())
    throw Error(sqlstate::kInvalidParameterValue,
                "node \"" + node_id + "\" is this node (mycelium.local_node)");

  static pg::Statement fdw("SELECT 1 FROM pg_extension WHERE extname = 'postgres_fdw'");
  if (fdw.execute({}) == 0)
    pg::execute_sql("CREATE EXTENSION postgres_fdw");
  const catalog::PeerServerNames names = catalog::assign_peer_servers(node_id);
  const std::string &push_name = names.push_server;
  const std::string &read_name = names.read_server;
  const std::string &schema_name = names.schema;
  const Peer peer = quoted(names);

  const std::string options = "host " + pg::quote_literal(ip) + ", port " +
                              pg::quote_literal(port) + ", dbname " + pg::quote_literal(dbname);
  static pg::Statement server_exists("SELECT 1 FROM pg_foreign_server WHERE srvname = $1");
  for (const auto &[server_name, server] :
       {std::pair{push_name, peer.push_server}, std::pair{read_name, peer.read_server}}) {
    if (server_exists.execute({pg::text_param(server_name)}) == 0)
      pg::execute_sql("CREATE SERVER " + server + " FOREIGN DATA WRAPPER postgres_fdw OPTIONS (" +
                      options + ", connect_timeout '5')");
    else
      pg::execute_sql("ALTER SERVER " + server + " OPTIONS (SET host " + pg::quote_literal(ip) +
                      ", SET port " + pg::quote_literal(port) + ", SET dbname " +
                      pg::quote_literal(dbname) + ")");
  }
  map_user(node_id, catalog::PeerPurpose::Push, push_name, peer.push_server);
  map_user(node_id, catalog::PeerPurpose::Read, read_name, peer.read_server);

  // The schema and its foreign tables are made together, once per peer.
  static pg::Statement has_schema("SELECT 1 FROM pg_namespace WHERE nspname = $1");
  if (has_schema.execute({pg::text_param(schema_name)}) == 0) {
    pg::execute_sql("CREATE SCHEMA " + peer.schema);
    pg::execute_sql("REVOKE ALL ON SCHEMA " + peer.schema + " FROM PUBLIC");
    const std::string remote = " SERVER " + peer.push_server + " OPTIONS (schema_name 'mycelium', ";
    // batch_size: the rows of one remote INSERT statement, which the replica verifies at once
    // (its signatures on every CPU) and after which it writes its chain head. 1,000 rows of 13
    // parameters stay below libpq's 65,535; a 1,000,000-entry initial copy in 100-row
    // statements left 10,000 versions of the shard's row in one transaction for every head
    // lookup to walk.
    pg::execute_sql("CREATE FOREIGN TABLE " + peer.schema +
                    ".inbox (shard_id text, seq bigint, op text, key text, version integer, "
                    "value jsonb, created_by text, signature text, created_at timestamptz, "
                    "origin_node text, prev_hash bytea, entry_hash bytea, link_signature text, "
                    "term bigint NOT NULL DEFAULT 0)" +
                    remote + "table_name 'inbox', batch_size '1000')");
    pg::execute_sql("CREATE FOREIGN TABLE " + peer.schema +
                    ".chain_heads (shard_id text, kind text, head_seq bigint, head_hash bytea, "
                    "primary_node text)" +
                    remote + "table_name 'chain_heads')");
    pg::execute_sql("CREATE FOREIGN TABLE " + peer.schema +
                    ".shard_digests (shard_id text, records bigint, digest bytea)" + remote +
                    "table_name 'shard_digests')");
    pg::execute_sql("CREATE FOREIGN TABLE " + peer.schema +
                    ".inbox_rejections (rejection_id bigint, rejected_at timestamptz, "
                    "shard_id text, seq bigint, origin_node text, sqlstate text, reason text)" +
                    remote + "table_name 'inbox_rejections')");
  } else {
    // A peer schema made before entries carried their term (elected shards) gets the column.
    static pg::Statement has_term(
        "SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "  JOIN pg_namespace n ON n.oid = c.relnamespace "
        " WHERE n.nspname = $1 AND c.relname = 'inbox' AND a.attname = 'term' "
        "   AND NOT a.attisdropped");
    if (has_term.execute({pg::text_param(schema_name)}) == 0)
      pg::execute_sql("ALTER FOREIGN TABLE " + peer.schema +
                      ".inbox ADD COLUMN term bigint NOT NULL DEFAULT 0");
  }
  return peer;
}

struct RemoteHead {
  bool exists = false;
  std::string kind;
  std::int64_t seq = 0;
  std::string hash; // raw bytes
};

RemoteHead remote_head(const Peer &peer, const std::string &shard_id) {
  pg::Statement &query = statement("SELECT kind, head_seq, head_hash FROM " + peer.schema +
                                   ".chain_heads WHERE shard_id = $1");
  RemoteHead head;
  if (query.execute({pg::text_param(shard_id)}) > 0) {
    head.exists = true;
    head.kind = pg::result_text(0, 1).value_or("");
    head.seq = pg::result_int(0, 2).value_or(0);
    head.hash = pg::result_bytes(0, 3).value_or("");
  }
  return head;
}

// This node's entry hash at `seq` of the shard (32 zero bytes at 0): what a replica whose head
// is `seq` must hold as its head hash. nullopt when this node has no such entry.
std::optional<std::string> local_hash_at(const std::string &shard_id, std::int64_t seq) {
  if (seq == 0)
    return std::string(32, '\0');
  return catalog::audit_entry_hash_at(shard_id, seq);
}

// Sends an open or close for the shard to node_id, signed with this node's key and bound to
// that node, this shard and now (SIGNING.md, "Replica control").
void send_control(const Peer &peer, const std::string &shard_id, const std::string &node_id,
                  std::string op) {
  const std::string self = catalog::local_node_id();
  const std::optional<std::string> validators =
      op == "open" ? catalog::shard_validators_json(shard_id) : std::nullopt;
  // An elected shard's replica follows its epochs: the open says so, under the signature.
  if (op == "open" && catalog::existing_shard(shard_id, catalog::RowLock::none).elected)
    op = "open-elected";
  const std::string canonical_validators = validators ? canonical_json(*validators) : "null";
  const TimestampTz now = GetCurrentTimestamp(); // cannot raise: reads the clock
  const std::int64_t issued_at_us = pg::unix_us(now);
  const Signature signature = ext::node_key().sign(
      replica_control_payload(op, shard_id, self, node_id, issued_at_us, canonical_validators));
  pg::Statement &insert = statement(
      "INSERT INTO " + peer.schema +
      ".inbox (shard_id, seq, op, key, version, value, created_by, signature, created_at, "
      "  origin_node, prev_hash, entry_hash, link_signature, term) "
      "VALUES ($1, 0, $2, $3, 0, $4::jsonb, '', $5, $6, $7, '\\x', '\\x', '', 0)");
  insert.execute({pg::text_param(shard_id), pg::text_param(op), pg::text_param(node_id),
                  pg::optional_text_param(validators),
                  pg::text_param(to_hex(signature.data(), signature.size())),
                  pg::datum_param(TIMESTAMPTZOID, TimestampTzGetDatum(now)), pg::text_param(self)});
}

struct PushResult {
  std::int64_t pushed = 0;
  std::optional<std::string> refusal;
  bool diverged = false; // the replica's chain is not a prefix of this node's
  bool reopened = false; // the replica had lost its copy and was opened again
  bool holds = false;    // the node holds the shard as a replica (the open, if sent, was taken)
};

// Sends the entries the replica does not have yet, in seq order, in batches, until it holds the
// shard's whole chain or refuses an entry. A refusal is returned, not thrown: the replica's
// record of it commits with this transaction.
PushResult push(const std::string &shard_id, const std::string &node_id,
                bool report_progress = false) {
  // One pusher per (shard, replica) at a time, decided here: two pushers interleaving on the
  // replica would wait for each other across the two nodes, where no deadlock detector sees it
  // (seen with push_now() during a worker round). The second waits for the first to commit.
  const std::int64_t pushed_before = catalog::lock_replica_for_push(shard_id, node_id);
  std::optional<Peer> peer = find_peer(node_id);
  if (!peer && catalog::find_peer_login(node_id, catalog::PeerPurpose::Push)) {
    // An elected shard's new primary pushes to holders it never added itself (apply_shard_epoch):
    // their servers are made here, when this node has push credentials for them. One maker per
    // node at a time (pushes of two shards to it, the worker and push_now() at once deadlocked
    // making the same servers); the second finds the first's.
    static pg::Statement serialise(
        "SELECT pg_advisory_xact_lock(hashtext('mycelium peer servers'), hashtext($1))");
    serialise.execute({pg::text_param(node_id)});
    peer = find_peer(node_id);
    if (!peer)
      peer = ensure_peer(node_id);
  }
  if (!peer)
    throw Error(sqlstate::kUndefinedObject, "node \"" + node_id + "\" is not a peer of this node");
  const std::optional<catalog::ShardRow> mine =
      catalog::find_shard(shard_id, catalog::RowLock::none);
  const std::int64_t local_head = mine ? mine->head_seq : 0;

  PushResult result;
  RemoteHead head = remote_head(*peer, shard_id);
  if (!head.exists) {
    // A new replica, or one that lost its copy (its database was rebuilt, the shard dropped
    // there by hand): either way the whole chain goes again, from an open.
    result.reopened = pushed_before > 0;
    send_control(*peer, shard_id, node_id, "open");
    head = remote_head(*peer, shard_id);
  }
  if (!head.exists || head.kind != "replica") {
    result.refusal = "node \"" + node_id + "\" holds shard \"" + shard_id + "\" as " +
                     (head.exists ? head.kind : "nothing") + ", not as a replica";
    return result;
  }
  result.holds = true;
  // The replica's chain must be a prefix of this node's: the same hash at its head.
  if (head.seq > local_head) {
    result.diverged = true;
    result.refusal = "replica " + node_id + " diverged: its chain is at seq " +
                     std::to_string(head.seq) + ", ahead of this primary's " +
                     std::to_string(local_head);
    return result;
  }
  if (local_hash_at(shard_id, head.seq) != head.hash) {
    result.diverged = true;
    result.refusal = "replica " + node_id + " diverged: its chain head (seq " +
                     std::to_string(head.seq) + ") is not this primary's entry " +
                     std::to_string(head.seq);
    return result;
  }
  const std::int64_t start = head.seq;
  if (report_progress)
    ext::copy_progress_begin(shard_id, node_id, local_head - start);
  // One statement per batch: the entries go from this node's log into the peer's inbox without
  // passing through this backend's memory.
  pg::Statement &send =
      statement("INSERT INTO " + peer->schema + ".inbox " + catalog::inbox_rows_after_query());
  while (head.seq < local_head) {
    const std::int64_t before = head.seq;
    send.execute(
        {pg::text_param(shard_id), pg::int8_param(before), pg::int8_param(ext::push_batch_size)});
    head = remote_head(*peer, shard_id);
    if (report_progress)
      ext::copy_progress_update(head.seq - start);
    if (head.seq <= before) {
      pg::Statement &why = statement("SELECT seq, sqlstate, reason FROM " + peer->schema +
                                     ".inbox_rejections WHERE shard_id = $1 "
                                     "ORDER BY rejection_id DESC LIMIT 1");
      if (why.execute({pg::text_param(shard_id)}) == 0)
        // The replica took nothing and said nothing: e.g. the batch after its head is not in
        // this node's log (entries removed behind the trigger's back; verify_audit shows it).
        result.refusal = "replica " + node_id + " did not move past seq " + std::to_string(before) +
                         " and recorded no rejection";
      else
        result.refusal = "replica " + node_id + " refused entry " +
                         pg::result_text(0, 1).value_or("?") + " (" +
                         pg::result_text(0, 2).value_or("?") +
                         "): " + pg::result_text(0, 3).value_or("no reason recorded");
      break;
    }
  }
  result.pushed = head.seq - start;
  catalog::record_pushed(shard_id, node_id, head.seq);
  return result;
}

// A failure as an operator reads it in push_status: the peer's node id rather than the name of
// the postgres_fdw server made for it, and the cause (libpq's DETAIL: "Connection refused",
// the password failure), which postgres_fdw keeps out of the message.
std::string describe(const std::string &node_id, const pg::Failure &failure) {
  std::string message = failure.message;
  static const std::string server_prefix = "server \"mycelium_peer_";
  if (const auto at = message.find(server_prefix); at != std::string::npos) {
    const auto end = message.find('"', at + server_prefix.size());
    if (end != std::string::npos)
      message.replace(at, end + 1 - at, "node \"" + node_id + "\"");
  }
  std::string detail = failure.detail;
  std::replace(detail.begin(), detail.end(), '\n', ' ');
  while (!detail.empty() && detail.back() == ' ')
    detail.pop_back();
  return failure.sqlstate + ": " + message + (detail.empty() ? "" : ": " + detail);
}

// One round over the replicas of the primary shards (one shard, or all): each replica in its
// own subtransaction, so one unreachable node does not hold back the others.
std::int64_t push_due(const std::optional<std::string> &shard_filter, bool respect_backoff) {
  const std::vector<catalog::ReplicaRef> work =
      catalog::replicas_due(shard_filter, respect_backoff);
  std::int64_t total = 0;
  for (const auto &[shard_id, node_id] : work) {
    PushResult result;
    const std::optional<pg::Failure> failure =
        pg::in_subtransaction([&] { result = push(shard_id, node_id); });
    total += result.pushed;
    if (failure) {
      catalog::record_push_failure(shard_id, node_id, describe(node_id, *failure), false);
    } else if (result.refusal) {
      // A diverged replica is marked so (shard_health 'diverged'): pushing cannot repair it, an
      // operator must (remove_replica, then add_replica).
      catalog::record_push_failure(shard_id, node_id, *result.refusal, result.diverged);
      if (result.diverged)
        pg::call([&] {
          ereport(WARNING, (errmsg("mycelium: %s", result.refusal->c_str()),
                            errhint("Compare with verify_replica(); rebuild the copy with "
                                    "remove_replica() and add_replica().")));
        });
    } else {
      if (result.reopened)
        pg::call([&] {
          ereport(LOG, (errmsg("mycelium: replica %s had lost its copy of shard \"%s\"; "
                               "opened it again and sent %lld entries",
                               node_id.c_str(), shard_id.c_str(),
                               static_cast<long long>(result.pushed))));
        });
      catalog::record_push_success(shard_id, node_id);
    }
  }
  // work is ordered by shard: mark each shard once, after all its replicas were pushed.
  for (std::size_t i = 0; i < work.size(); ++i)
    if (i + 1 == work.size() || work[i + 1].shard_id != work[i].shard_id)
      catalog::mark_entries_synced(work[i].shard_id);
  return total;
}

void require_primary(const std::string &shard_id) {
  const catalog::ShardKind kind =
      catalog::existing_shard(shard_id, catalog::RowLock::for_update).kind;
  if (kind != catalog::ShardKind::Primary)
    throw Error(sqlstate::kNotPrimary, "shard \"" + shard_id + "\" is a " +
                                           std::string(catalog::to_string(kind)) +
                                           " on this node; replicas are managed on its primary");
}

} // namespace

namespace mycelium::ext {

void refresh_peer_servers(const std::string &node_id) {
  if (find_peer(node_id))
    ensure_peer(node_id);
}

} // namespace mycelium::ext

MYCELIUM_SQL_FUNCTION(mycelium_add_replica) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const std::string node_id = pg::text_arg(fcinfo, 1, "node_id");
  pg::SpiConnection spi;
  require_primary(shard_id);
  // Who the node is comes first: "no push credentials" would send an operator after the wrong
  // problem for a node that is not registered, or is this node itself.
  const std::optional<catalog::NodeRow> node = catalog::find_node(node_id);
  if (!node)
    throw Error(sqlstate::kUndefinedObject,
                "node \"" + node_id +
                    "\" is not registered: register it first "
                    "(mycelium.register_node, or mycelium register-node)");
  if (node_id == catalog::local_node_id())
    throw Error(sqlstate::kInvalidParameterValue,
                "node \"" + node_id +
                    "\" is this node (mycelium.local_node): a replica goes to "
                    "another node");
  if (!node->active)
    throw Error(sqlstate::kInactiveNode, "node \"" + node_id + "\" is not active");
  if (!catalog::find_peer_login(node_id, catalog::PeerPurpose::Push) && !find_peer(node_id))
    throw Error(sqlstate::kNoPeerCredentials,
                "no push credentials for node \"" + node_id +
                    "\": run mycelium.set_peer_credentials(node_id, 'push', user, password)");
  ensure_peer(node_id);
  if (!catalog::insert_replica(shard_id, node_id))
    throw Error(sqlstate::kDuplicateObject,
                "node \"" + node_id + "\" already holds a replica of shard \"" + shard_id + "\"");
  // The initial copy: the shard's whole chain, verified entry by entry on the replica.
  const PushResult result = push(shard_id, node_id, true);
  ext::copy_progress_end();
  if (result.refusal && result.holds && !result.diverged &&
      catalog::existing_shard(shard_id, catalog::RowLock::none).elected) {
    // An elected shard's new replica takes its entries only once it has applied the shard's
    // epochs, which it gets by joining the shard's group, for which it must be a replica here
    // (mycelium.elected_shards lists the active ones as voters): it stays, and the push worker
    // sends the entries once it takes them.
    catalog::record_push_failure(shard_id, node_id, *result.refusal, false);
    catalog::set_replica_active(shard_id, node_id);
    pg::call([&] {
      ereport(NOTICE, (errmsg("replica %s of elected shard \"%s\" holds the shard but took no "
                              "entries yet: %s",
                              node_id.c_str(), shard_id.c_str(), result.refusal->c_str()),
                       errhint("It takes them once its agent has applied the shard's epochs; "
                               "push_status shows the progress.")));
    });
    PG_RETURN_VOID();
  }
  if (result.refusal)
    throw Error(sqlstate::kReplicaRefused, *result.refusal);
  catalog::set_replica_active(shard_id, node_id);
  catalog::mark_entries_synced(shard_id);
  PG_RETURN_VOID();
}

MYCELIUM_SQL_FUNCTION(mycelium_remove_replica) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const std::string node_id = pg::text_arg(fcinfo, 1, "node_id");
  pg::SpiConnection spi;
  require_primary(shard_id);
  if (!catalog::delete_replica(shard_id, node_id))
    throw Error(sqlstate::kUndefinedObject,
                "node \"" + node_id + "\" holds no replica of shard \"" + shard_id + "\"");
  if (const std::optional<Peer> peer = find_peer(node_id))
    send_control(*peer, shard_id, node_id, "close");
  PG_RETURN_VOID();
}

MYCELIUM_SQL_FUNCTION(mycelium_push_now) {
  std::optional<std::string> shard;
  if (!pg::arg_is_null(fcinfo, 0))
    shard = pg::text_arg(fcinfo, 0, "shard_id");
  std::int64_t total;
  {
    pg::SpiConnection spi;
    if (shard)
      require_primary(*shard);
    total = push_due(shard, false);
  }
  PG_RETURN_INT64(total);
}

MYCELIUM_SQL_FUNCTION(mycelium_push_round) {
  (void)fcinfo;
  std::int64_t total;
  {
    pg::SpiConnection spi;
    total = push_due(std::nullopt, true);
  }
  PG_RETURN_INT64(total);
}

MYCELIUM_SQL_FUNCTION(mycelium_verify_replica) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  const std::string node_id = pg::text_arg(fcinfo, 1, "node_id");
  std::int64_t local_records = 0, remote_records = 0, local_head = 0, remote_head_seq = 0;
  std::string local_digest, remote_digest, local_head_hash, remote_head_hash;
  {
    pg::SpiConnection spi;
    require_primary(shard_id);
    const std::optional<Peer> peer = find_peer(node_id);
    if (!peer)
      throw Error(sqlstate::kUndefinedObject,
                  "node \"" + node_id + "\" is not a peer of this node");
    if (const std::optional<catalog::ShardDigest> mine = catalog::shard_digest(shard_id)) {
      local_records = mine->records;
      local_digest = mine->digest_hex;
    }
    if (const std::optional<catalog::ShardRow> mine =
            catalog::find_shard(shard_id, catalog::RowLock::none)) {
      local_head = mine->head_seq;
      local_head_hash = to_hex(reinterpret_cast<const std::uint8_t *>(mine->head_hash.data()),
                               mine->head_hash.size());
    }
    pg::Statement &remote = statement("SELECT records, encode(digest, 'hex') FROM " + peer->schema +
                                      ".shard_digests WHERE shard_id = $1");
    if (remote.execute({pg::text_param(shard_id)}) > 0) {
      remote_records = pg::result_int(0, 1).value_or(0);
      remote_digest = pg::result_text(0, 2).value_or("");
    }
    const RemoteHead their_head = remote_head(*peer, shard_id);
    remote_head_seq = their_head.seq;
    if (their_head.exists)
      remote_head_hash = to_hex(reinterpret_cast<const std::uint8_t *>(their_head.hash.data()),
                                their_head.hash.size());
  }
  TupleDesc desc;
  pg::call([&] { return get_call_result_type(fcinfo, nullptr, &desc); });
  // The heads are compared by hash as well as by seq: a replica whose chain forked at the same
  // length (an entry re-dated or replaced) has the same seq and a different hash.
  Datum values[9] = {Int64GetDatum(local_records),
                     Int64GetDatum(remote_records),
                     pg::text_datum(local_digest),
                     pg::text_datum(remote_digest),
                     Int64GetDatum(local_head),
                     Int64GetDatum(remote_head_seq),
                     pg::text_datum(local_head_hash),
                     pg::text_datum(remote_head_hash),
                     BoolGetDatum(local_records == remote_records &&
                                  local_digest == remote_digest && local_head == remote_head_seq &&
                                  local_head_hash == remote_head_hash)};
  bool nulls[9] = {false, false, local_digest.empty(),    remote_digest.empty(),
                   false, false, local_head_hash.empty(), remote_head_hash.empty(),
                   false};
  HeapTuple tuple = pg::call([&] { return heap_form_tuple(BlessTupleDesc(desc), values, nulls); });
  return HeapTupleGetDatum(tuple); // cannot raise: no TOAST pointer in it, nothing to flatten
}

MYCELIUM_SQL_FUNCTION(mycelium_attach_remote_shard) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  check_shard_id(shard_id);
  const std::string node_id = pg::text_arg(fcinfo, 1, "node_id");
  pg::SpiConnection spi;
  if (const std::optional<catalog::ShardRow> existing =
          catalog::find_shard(shard_id, catalog::RowLock::none))
    throw Error(sqlstate::kDuplicateObject, "shard \"" + shard_id + "\" already exists here (as " +
                                                std::string(catalog::to_string(existing->kind)) +
                                                ")");
  if (!catalog::find_peer_login(node_id, catalog::PeerPurpose::Read))
    throw Error(sqlstate::kNoPeerCredentials,
                "no read credentials for node \"" + node_id +
                    "\": run mycelium.set_peer_credentials(node_id, 'read', user, password)");
  const Peer peer = ensure_peer(node_id);
  const std::string partition = catalog::partition_name(shard_id);
  // The remote parent table with shard_id = … pushed down: the remote node prunes to its own
  // partition of the shard.
  pg::execute_sql("CREATE FOREIGN TABLE " + partition +
                  " PARTITION OF mycelium.data FOR VALUES IN (" + pg::quote_literal(shard_id) +
                  ") SERVER " + peer.read_server +
                  " OPTIONS (schema_name 'mycelium', table_name 'data')");
  for (const char *trigger : {"guard_data_change", "verify_data_change"})
    pg::execute_sql("ALTER TABLE " + partition + " ENABLE ALWAYS TRIGGER " + trigger);
  pg::execute_sql("GRANT SELECT ON " + partition +
                  " TO mycelium_admin, mycelium_validator, mycelium_miner");
  catalog::insert_shard(shard_id, partition, catalog::ShardKind::Remote, node_id, 0, Datum(0),
                        true);
  PG_RETURN_VOID();
}

MYCELIUM_SQL_FUNCTION(mycelium_detach_remote_shard) {
  const std::string shard_id = pg::text_arg(fcinfo, 0, "shard_id");
  pg::SpiConnection spi;
  const catalog::ShardRow shard = catalog::existing_shard(shard_id, catalog::RowLock::for_update);
  if (shard.kind != catalog::ShardKind::Remote)
    throw Error(sqlstate::kNotRemoteShard, "shard \"" + shard_id + "\" is a " +
                                               std::string(catalog::to_string(shard.kind)) +
                                               " here, not an attached remote shard");
  pg::execute_sql("DROP FOREIGN TABLE " + shard.partition_name);
  catalog::delete_shard(shard_id);
  PG_RETURN_VOID();
}
