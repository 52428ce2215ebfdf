#include "node_store.hpp"

#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"

#include <algorithm>

namespace mycelium::agent {

namespace p = mycelium::protocol;
using pgclient::Connection;
using pgclient::Row;

namespace {

// The privileges behind every statement below; the roles README "Roles" gives the agent's login
// (mycelium_replicator, mycelium_miner) hold them. Keep in step with the statements.
constexpr const char *kMissingPrivileges = R"sql(
  SELECT 'USAGE on schema mycelium' WHERE NOT pg_catalog.has_schema_privilege('mycelium', 'USAGE')
  UNION ALL
  SELECT t.privilege || ' on mycelium.' || t.name
    FROM (VALUES ('node_metadata', 'SELECT'), ('node_stake', 'SELECT'), ('local_node', 'SELECT'),
                 ('chain_heads', 'SELECT'), ('audit_log', 'SELECT'),
                 ('inbox', 'INSERT'), ('inbox_rejections', 'SELECT'),
                 ('blacklist', 'SELECT'), ('blacklist_lifts', 'SELECT')) AS t(name, privilege)
    JOIN pg_catalog.pg_class c
      ON c.relname = t.name AND c.relnamespace = 'mycelium'::regnamespace
   WHERE NOT pg_catalog.has_table_privilege(c.oid, t.privilege)
  UNION ALL
  SELECT 'EXECUTE on ' || p.oid::regprocedure::text
    FROM pg_catalog.pg_proc p
   WHERE p.pronamespace = 'mycelium'::regnamespace
     AND p.proname IN ('note_peer', 'note_peer_status', 'blacklist_add', 'blacklist_expire')
     AND NOT pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
   ORDER BY 1)sql";

std::string text(const Row &row, std::size_t column) {
  return row[column].value_or("");
}
std::int64_t integer(const Row &row, std::size_t column) {
  return std::stoll(row[column].value_or("0"));
}
bool boolean(const Row &row, std::size_t column) {
  return row[column].value_or("f") == "t";
}

StartupFacts startup_facts(Connection &db, const std::string &node_id, bool chain) {
  StartupFacts facts;
  const Row who = db.query("SELECT current_user, current_database(), EXISTS (SELECT 1 FROM "
                           "pg_catalog.pg_extension WHERE extname = 'mycelium')")
                      .at(0);
  facts.login = text(who, 0);
  facts.database = text(who, 1);
  facts.extension = boolean(who, 2);
  if (!facts.extension)
    return facts;
  for (const Row &r : db.query(kMissingPrivileges))
    facts.missing.push_back(text(r, 0));
  // The chain: section writes the metagraph, which only mycelium_chain may.
  if (chain &&
      !boolean(db.query("SELECT pg_catalog.has_function_privilege("
                        "'mycelium.store_metagraph(integer, bigint, text, jsonb)', 'EXECUTE')")
                   .at(0),
               0))
    facts.missing.push_back("EXECUTE on mycelium.store_metagraph (role mycelium_chain, for the "
                            "chain: section)");
  if (!facts.missing.empty())
    return facts;
  const pgclient::Rows rows = db.query(
      "SELECT public_key, node_type, is_active FROM mycelium.node_metadata WHERE node_id = $1",
      {node_id});
  if (!rows.empty()) {
    facts.public_key = rows[0][0];
    facts.node_type = rows[0][1];
    facts.active = boolean(rows[0], 2);
  }
  facts.local_node = text(db.query("SELECT node_id FROM mycelium.local_node").at(0), 0);
  return facts;
}

std::vector<RegisteredNode> registry(Connection &db) {
  std::vector<RegisteredNode> nodes;
  // Stake from mycelium.node_stake: the chain's for a node bound to a hotkey, once the subnet
  // was read; the registry's otherwise (one stake source for admission and the blacklist).
  for (const Row &row : db.query("SELECT m.node_id, m.public_key, m.node_type, m.is_active, "
                                 "s.stake FROM mycelium.node_metadata m "
                                 "JOIN mycelium.node_stake s USING (node_id)"))
    nodes.push_back(RegisteredNode{text(row, 0), text(row, 1), text(row, 2), boolean(row, 3),
                                   std::stod(row[4].value_or("0"))});
  return nodes;
}

std::vector<p::SyncCursor> cursors_from(Connection &db, const std::string &primary) {
  std::vector<p::SyncCursor> cursors;
  for (const Row &row : db.query("SELECT shard_id, head_seq FROM mycelium.chain_heads "
                                 "WHERE kind = 'replica' AND primary_node = $1",
                                 {primary}))
    cursors.push_back(p::SyncCursor{text(row, 0), primary, integer(row, 1)});
  return cursors;
}

p::AuditEntry audit_entry(const Row &r) {
  p::AuditEntry e;
  e.shard_id = text(r, 0);
  e.seq = integer(r, 1);
  e.op = text(r, 2);
  e.key = text(r, 3);
  e.version = static_cast<std::int32_t>(integer(r, 4));
  e.value_json = text(r, 5);
  e.created_by = text(r, 6);
  e.signature = text(r, 7);
  e.created_at_us = integer(r, 8);
  e.origin_node = text(r, 9);
  const Bytes prev = from_hex(text(r, 10), 32, "prev_hash");
  const Bytes hash = from_hex(text(r, 11), 32, "entry_hash");
  std::copy(prev.begin(), prev.end(), e.prev_hash.begin());
  std::copy(hash.begin(), hash.end(), e.entry_hash.begin());
  e.link_signature = parse_signature(text(r, 12), "link_signature");
  e.term = static_cast<std::uint64_t>(integer(r, 13));
  return e;
}

SyncPage page_after(Connection &db, const std::vector<p::SyncCursor> &cursors,
                    std::uint32_t page_size) {
  SyncPage page;
  std::uint32_t left = page_size;
  for (const p::SyncCursor &cursor : cursors) {
    if (left == 0) {
      page.more = true;
      break;
    }
    // One row more than fits tells whether this shard has more.
    pgclient::Rows rows =
        db.query("SELECT shard_id, seq, op, key, version, value::text, created_by, signature, "
                 "       mycelium._timestamptz_to_us(created_at), origin_node, "
                 "       encode(prev_hash, 'hex'), encode(entry_hash, 'hex'), link_signature, term "
                 "  FROM mycelium.audit_log WHERE shard_id = $1 AND seq > $2 "
                 " ORDER BY seq LIMIT $3",
                 {cursor.shard_id, std::to_string(cursor.last_seq), std::to_string(left + 1)});
    if (rows.size() > left) {
      rows.pop_back();
      page.more = true;
    }
    for (const Row &r : rows)
      page.entries.push_back(audit_entry(r));
    left -= static_cast<std::uint32_t>(rows.size());
  }
  return page;
}

// Entries per INSERT statement: the inbox checks a statement's signatures at once, on every
// CPU, so a page goes in whole; 14 parameters each stay far below libpq's 65,535.
constexpr std::size_t kEntriesPerStatement = 1000;
constexpr std::size_t kInboxColumns = 14;

// "INSERT INTO mycelium.inbox (...) VALUES (...), ..." for `rows` entries, parameters in order.
std::string inbox_insert(std::size_t rows) {
  std::string sql = "INSERT INTO mycelium.inbox (shard_id, seq, op, key, version, value, "
                    "created_by, signature, created_at, origin_node, prev_hash, entry_hash, "
                    "link_signature, term) VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    const auto n = [&](int column) { return "$" + std::to_string(r * kInboxColumns + column); };
    sql += (r ? ", (" : "(") + n(1) + ", " + n(2) + ", " + n(3) + ", " + n(4) + ", " + n(5) + ", " +
           n(6) + "::jsonb, " + n(7) + ", " + n(8) +
           // The extension's conversion, exact to the microsecond: the entry hash and the
           // link signature cover created_at.
           ", mycelium._us_to_timestamptz(" + n(9) + "::bigint), " + n(10) + ", decode(" + n(11) +
           ", 'hex'), decode(" + n(12) + ", 'hex'), " + n(13) + ", " + n(14) + "::bigint)";
  }
  return sql;
}

long long apply(Connection &db, const std::vector<p::AuditEntry> &entries) {
  if (entries.empty())
    return 0;
  db.begin();
  for (std::size_t first = 0; first < entries.size(); first += kEntriesPerStatement) {
    const std::size_t rows = std::min(kEntriesPerStatement, entries.size() - first);
    pgclient::Params params;
    params.reserve(rows * kInboxColumns);
    for (std::size_t i = first; i < first + rows; ++i) {
      const p::AuditEntry &e = entries[i];
      const pgclient::Params row{e.shard_id,
                                 std::to_string(e.seq),
                                 e.op,
                                 e.key,
                                 std::to_string(e.version),
                                 e.value_json.empty() ? std::nullopt
                                                      : pgclient::Param(e.value_json),
                                 e.created_by,
                                 e.signature,
                                 std::to_string(e.created_at_us),
                                 e.origin_node,
                                 to_hex(e.prev_hash.data(), e.prev_hash.size()),
                                 to_hex(e.entry_hash.data(), e.entry_hash.size()),
                                 to_hex(e.link_signature.data(), e.link_signature.size()),
                                 std::to_string(e.term)};
      params.insert(params.end(), row.begin(), row.end());
    }
    db.exec(inbox_insert(rows), params);
  }
  // The rejections this transaction recorded: the push (postgres_fdw) may record its own at the
  // same time, and they are not this peer's.
  const long long refused = integer(db.query("SELECT count(*) FROM mycelium.inbox_rejections "
                                             "WHERE xmin = pg_catalog.pg_current_xact_id()::xid")
                                        .at(0),
                                    0);
  db.commit();
  return refused;
}

BlacklistSnapshot blacklist(Connection &db) {
  BlacklistSnapshot snapshot;
  db.exec("SELECT mycelium.blacklist_expire()");
  for (const Row &r : db.query("SELECT node_id, lifted_at_ms FROM mycelium.blacklist_lifts"))
    snapshot.lifts.emplace_back(text(r, 0), integer(r, 1));
  for (const Row &r : db.query("SELECT node_id, reason, created_by, created_at_ms, "
                               "expires_at_ms, signature FROM mycelium.blacklist")) {
    p::BlacklistEntry e;
    e.node_id = text(r, 0);
    e.reason = text(r, 1);
    e.created_by = text(r, 2);
    e.created_at_ms = integer(r, 3);
    e.expires_at_ms = integer(r, 4);
    const Bytes sig = from_hex(text(r, 5), kSignatureSize, "signature");
    std::copy(sig.begin(), sig.end(), e.signature.begin());
    snapshot.entries.push_back(std::move(e));
  }
  return snapshot;
}

std::vector<ElectedShard> elected_shards(Connection &db) {
  std::vector<ElectedShard> shards;
  // Node ids cannot hold a comma (node_id.hpp), so the voters travel as one joined string.
  for (const Row &r : db.query("SELECT shard_id, kind, primary_node, term, head_seq, "
                               "       coalesce(encode(head_hash, 'hex'), ''), voters IS NOT NULL, "
                               "       coalesce(array_to_string(voters, ','), '') "
                               "  FROM mycelium.elected_shards ORDER BY shard_id")) {
    ElectedShard s;
    s.shard_id = text(r, 0);
    s.kind = text(r, 1);
    s.primary_node = text(r, 2);
    s.term = integer(r, 3);
    s.head_seq = integer(r, 4);
    s.head_hash_hex = text(r, 5);
    s.voters_known = boolean(r, 6);
    const std::string joined = text(r, 7);
    for (std::size_t at = 0; !joined.empty() && at <= joined.size();) {
      const std::size_t comma = std::min(joined.find(',', at), joined.size());
      s.voters.push_back(joined.substr(at, comma - at));
      at = comma + 1;
    }
    shards.push_back(std::move(s));
  }
  return shards;
}

// A PostgreSQL array literal of ids: shard and node ids hold no quote, backslash or comma
// (shard_id.hpp, node_id.hpp), so quoting each element is enough ("" is the empty string).
std::string text_array(const std::vector<std::string> &items) {
  std::string out = "{";
  for (const std::string &item : items)
    out += (out.size() > 1 ? ",\"" : "\"") + item + "\"";
  return out + "}";
}

std::string number_array(const std::vector<std::uint64_t> &items) {
  std::string out = "{";
  for (std::uint64_t item : items)
    out += (out.size() > 1 ? "," : "") + std::to_string(item);
  return out + "}";
}

} // namespace

void NodeStore::read_elected_shards(Done<std::vector<ElectedShard>> done) {
  run<std::vector<ElectedShard>>(elected_shards, std::move(done));
}

void NodeStore::report_consensus(std::vector<ConsensusReport> reports, std::string boot_id,
                                 DoneVoid done) {
  std::vector<std::string> shards, leaders;
  std::vector<std::uint64_t> terms, leases;
  for (const ConsensusReport &r : reports) {
    shards.push_back(r.shard_id);
    terms.push_back(r.term);
    leaders.push_back(r.leader);
    leases.push_back(r.lease_expires_ms);
  }
  db_.submit(
      [shards = text_array(shards), terms = number_array(terms), leaders = text_array(leaders),
       leases = number_array(leases), boot_id](Connection &db) {
        db.exec("SELECT mycelium.report_consensus($1::text[], $2::bigint[], $3::text[], "
                "$4::bigint[], $5)",
                {shards, terms, leaders, leases, boot_id});
      },
      std::move(done));
}

void NodeStore::apply_shard_epoch(std::string shard_id, std::uint64_t term,
                                  std::string primary_node, std::int64_t start_seq,
                                  std::string start_hash_hex, std::vector<std::string> members,
                                  Done<EpochApplied> done) {
  // Node ids are [a-z0-9_-] (node_id.hpp), so the array literal needs no escaping; quoted anyway.
  std::string members_literal = "{";
  for (const std::string &m : members)
    members_literal += (members_literal.size() > 1 ? ",\"" : "\"") + m + "\"";
  members_literal += "}";
  run<EpochApplied>(
      [shard_id, term, primary_node, start_seq, start_hash_hex, members_literal](Connection &db) {
        const Row r = db.query("SELECT outcome, moved_aside FROM mycelium.apply_shard_epoch("
                               "$1, $2::bigint, $3, $4::bigint, decode($5, 'hex'), $6::text[])",
                               {shard_id, std::to_string(term), primary_node,
                                std::to_string(start_seq), start_hash_hex, members_literal})
                          .at(0);
        return EpochApplied{text(r, 0), integer(r, 1)};
      },
      std::move(done));
}

void NodeStore::shard_head(std::string shard_id, Done<ShardHead> done) {
  run<ShardHead>(
      [shard_id](Connection &db) {
        const Row r = db.query("SELECT seq, coalesce(encode(hash, 'hex'), ''), term "
                               "  FROM mycelium.shard_head($1)",
                               {shard_id})
                          .at(0);
        return ShardHead{integer(r, 0), text(r, 1), integer(r, 2)};
      },
      std::move(done));
}

void NodeStore::shard_cursor(std::string shard_id, std::string origin, Done<p::SyncCursor> done) {
  run<p::SyncCursor>(
      [shard_id, origin](Connection &db) {
        const pgclient::Rows rows =
            db.query("SELECT head_seq FROM mycelium.chain_heads WHERE shard_id = $1", {shard_id});
        return p::SyncCursor{shard_id, origin, rows.empty() ? 0 : integer(rows[0], 0)};
      },
      std::move(done));
}

void NodeStore::read_startup_facts(std::string node_id, bool chain, Done<StartupFacts> done) {
  run<StartupFacts>([node_id, chain](Connection &db) { return startup_facts(db, node_id, chain); },
                    std::move(done));
}

void NodeStore::store_metagraph(int netuid, std::uint64_t block_number, std::string block_hash_hex,
                                std::string neurons_json, Done<long long> done) {
  run<long long>(
      [netuid, block_number, block_hash_hex, neurons_json](Connection &db) {
        return std::stoll(db.scalar(
            "SELECT mycelium.store_metagraph($1, $2, $3, $4::jsonb)",
            {std::to_string(netuid), std::to_string(block_number), block_hash_hex, neurons_json}));
      },
      std::move(done));
}

void NodeStore::read_registry(Done<std::vector<RegisteredNode>> done) {
  run<std::vector<RegisteredNode>>(registry, std::move(done));
}

void NodeStore::note_peer(std::string peer, std::string protocol_version, DoneVoid done) {
  db_.submit(
      [peer, protocol_version](Connection &db) {
        db.exec("SELECT mycelium.note_peer($1, $2)", {peer, protocol_version});
      },
      std::move(done));
}

void NodeStore::note_peer_status(std::string peer, std::string status_json, DoneVoid done) {
  db_.submit(
      [peer, status_json](Connection &db) {
        db.exec("SELECT mycelium.note_peer_status($1, $2::jsonb)", {peer, status_json});
      },
      std::move(done));
}

void NodeStore::replica_cursors(std::string primary, Done<std::vector<p::SyncCursor>> done) {
  run<std::vector<p::SyncCursor>>([primary](Connection &db) { return cursors_from(db, primary); },
                                  std::move(done));
}

void NodeStore::changes_after(std::vector<p::SyncCursor> cursors, std::uint32_t page_size,
                              Done<SyncPage> done) {
  run<SyncPage>([cursors, page_size](Connection &db) { return page_after(db, cursors, page_size); },
                std::move(done));
}

void NodeStore::apply_entries(std::shared_ptr<const std::vector<p::AuditEntry>> entries,
                              Done<long long> done) {
  run<long long>([entries](Connection &db) { return apply(db, *entries); }, std::move(done));
}

void NodeStore::store_blacklist_entry(p::BlacklistEntry e, std::string received_from,
                                      DoneVoid done) {
  db_.submit(
      [e, received_from](Connection &db) {
        db.exec("SELECT mycelium.blacklist_add($1, $2, $3, $4, $5, $6, $7)",
                {e.node_id, e.reason, e.created_by, std::to_string(e.created_at_ms),
                 std::to_string(e.expires_at_ms), to_hex(e.signature.data(), e.signature.size()),
                 received_from.empty() ? std::nullopt : pgclient::Param(received_from)});
      },
      std::move(done));
}

void NodeStore::read_blacklist(Done<BlacklistSnapshot> done) {
  run<BlacklistSnapshot>(blacklist, std::move(done));
}

} // namespace mycelium::agent
