// What the two-node benchmarks (replication.cpp, scale.cpp) share: the primary and the replica
// started by their scripts, registered to each other, and signed rows written to the primary in
// 500-row INSERT statements. Apart from bench_common.hpp because it needs the database client
// (pgclient), which the other drivers do not link.
#pragma once

#include "bench_common.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/pgclient/connection.hpp"
#include "mycelium/signing.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mycelium::bench {

using mycelium::pgclient::Connection;

inline const char *const kPrimaryId = "bench-primary"; // also the validator that signs every row
inline const char *const kReplicaId = "bench-replica";
constexpr int kBulkRows = 500; // rows per INSERT statement (and transaction) when pre-writing
constexpr int kColumns = 6;
inline const char *const kColumnList = "(shard_id, key, value, version, created_by, signature)";

inline std::string conninfo(int port, const std::string &dbname) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=" + dbname;
}

struct Record {
  std::string shard, key, value, signature;
};

// Key `key` (version 1) of `shard`, its value made from `n`, signed by kPrimaryId.
inline Record make_record(const std::string &shard, std::string key, std::uint64_t n,
                          const mycelium::SecretKey &signer) {
  Record r;
  r.shard = shard;
  r.key = std::move(key);
  const std::uint64_t salt = std::hash<std::string>{}(shard);
  char payload[33];
  std::snprintf(payload, sizeof payload, "%016" PRIx64 "%016" PRIx64, mix(salt + n),
                mix(~(salt + n)));
  // Already canonical JSON: no whitespace, keys sorted, plain ASCII.
  r.value = "{\"n\":" + std::to_string(n) + ",\"payload\":\"" + payload + "\"}";
  r.signature = hex(signer.sign(mycelium::put_payload(shard, r.key, 1, kPrimaryId, r.value)));
  return r;
}

// `count` new keys k<first>, k<first+1>, ... of `shard`, signed on every core.
inline std::vector<Record> sign_records(const std::string &shard, std::size_t count,
                                        const mycelium::SecretKey &key, std::size_t first = 0) {
  std::vector<Record> records(count);
  parallel_for(count, [&](std::size_t i) {
    records[i] = make_record(shard, "k" + std::to_string(first + i), first + i, key);
  });
  return records;
}

inline std::string insert_sql(const std::string &table, std::size_t rows) {
  std::string sql = "INSERT INTO " + table + " " + kColumnList + " VALUES ";
  for (std::size_t row = 0; row < rows; ++row) {
    const auto param = [&](int column) { return "$" + std::to_string(row * kColumns + column); };
    sql += std::string(row ? ", (" : "(") + param(1) + ", " + param(2) + ", " + param(3) +
           "::jsonb, " + param(4) + ", " + param(5) + ", " + param(6) + ")";
  }
  return sql;
}

// Prepares `sql` as `name` on this connection unless it already is.
inline void prepare_once(Connection &db, const std::string &name, const std::string &sql) {
  if (db.scalar("SELECT count(*) FROM pg_prepared_statements WHERE name = $1", {name}) == "0")
    db.prepare(name, sql);
}

// Writes the records (each into its own shard) in kBulkRows-row INSERT statements (autocommit:
// one transaction each).
inline void insert_records(Connection &db, const std::string &table,
                           const std::vector<Record> &records) {
  const std::string full = "bulk_" + std::to_string(std::hash<std::string>{}(table));
  prepare_once(db, full, insert_sql(table, kBulkRows));
  std::vector<const char *> params;
  for (std::size_t next = 0; next < records.size();) {
    const std::size_t n = std::min<std::size_t>(kBulkRows, records.size() - next);
    params.clear();
    for (std::size_t i = next; i < next + n; ++i) {
      const Record &r = records[i];
      for (const char *v :
           {r.shard.c_str(), r.key.c_str(), r.value.c_str(), "1", kPrimaryId, r.signature.c_str()})
        params.push_back(v);
    }
    if (n == static_cast<std::size_t>(kBulkRows)) {
      db.exec_prepared(full, static_cast<int>(params.size()), params.data());
    } else {
      const std::string name = full + "_" + std::to_string(n);
      prepare_once(db, name, insert_sql(table, n));
      db.exec_prepared(name, static_cast<int>(params.size()), params.data());
    }
    next += n;
  }
}

struct Node {
  std::string id;
  int port;
  mycelium::SecretKey key;
};

// The nodes registered in this database (validators, signed registrations).
inline void register_nodes(Connection &db, const std::vector<const Node *> &nodes) {
  for (const Node *node : nodes) {
    mycelium::NodeRegistration r;
    r.node_id = node->id;
    r.node_type = "validator";
    r.public_key = mycelium::to_hex(node->key.public_key().data(), node->key.public_key().size());
    r.ip = "127.0.0.1";
    r.port = node->port;
    r.version = "bench";
    r.canonical_capabilities = "{}";
    db.scalar("SELECT mycelium.register_node($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
              {r.node_id, r.node_type, r.public_key, r.ip, std::to_string(r.port), r.version,
               r.canonical_capabilities, hex(node->key.sign(mycelium::registration_payload(r)))});
  }
}

// The extension, both nodes registered, this node's name, a login for the peer's pushes (as in
// regress/multinode/setup_node.sql) and the credentials this node uses to reach the other one.
inline void setup_mycelium(Connection &db, const Node &self,
                           const std::vector<const Node *> &nodes) {
  db.scalar("CREATE EXTENSION mycelium");
  db.scalar("CREATE EXTENSION postgres_fdw");
  db.scalar("SELECT mycelium.set_local_node($1)", {self.id});
  register_nodes(db, nodes);
  db.scalar("CREATE ROLE mycelium_sync LOGIN IN ROLE mycelium_replicator");
  for (const Node *node : nodes)
    if (node != &self)
      db.scalar("SELECT mycelium.set_peer_credentials($1, 'push', 'mycelium_sync')", {node->id});
}

// ALTER SYSTEM + reload: the worker picks the new interval up on its next wake-up (the reload
// wakes it), runs one round and then waits the new interval.
inline void set_sync_interval(Connection &db, const std::string &interval) {
  db.scalar("ALTER SYSTEM SET mycelium.push_interval = '" + interval + "'");
  db.scalar("SELECT pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

// Polls `sql` every 20 ms until it returns `expected`; throws after `timeout` seconds.
inline double wait_until(Connection &db, const std::string &sql, const std::string &expected,
                         double timeout, const std::string &what) {
  const auto start = Clock::now();
  for (;;) {
    if (db.scalar(sql) == expected)
      return seconds_since(start);
    if (seconds_since(start) > timeout)
      throw std::runtime_error("timed out after " + std::to_string(timeout) + " s waiting for " +
                               what);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The postmaster of the server `db` is connected to: its backend's parent.
inline int postmaster_of(Connection &db) {
  return process_stat(std::to_string(db.backend_pid())).parent;
}

} // namespace mycelium::bench
