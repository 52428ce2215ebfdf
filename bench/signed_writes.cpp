// Signed-write throughput: how much do signature verification and the audit log cost a write?
// Compares plain INSERTs into a trigger-less copy of mycelium.data with mycelium.put() and with
// signed INSERTs into mycelium.data, one row per transaction and in 500-row statements, against
// the Ed25519 verify rate of one core measured in the same run. Prints a Markdown table.
// Run it through bench/signed-writes.sh, which starts a throwaway cluster (bench/RESULTS.md).
#include "mycelium/pgclient/connection.hpp"
#include "bench_common.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/replica_signing.hpp"
#include "mycelium/signing.hpp"

#include <libpq-fe.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mycelium::bench;
using mycelium::Bytes;

constexpr int kShards = 4;
const char *const kShardIds[kShards] = {"b0", "b1", "b2", "b3"};
const char *const kNodeId = "bench-validator";
constexpr int kBulkRows = 500; // rows per multi-row INSERT
constexpr std::size_t kVerifyCount = 20000;
// Records are made before a phase is timed. A signed pool holds, per client and second of the
// phase, 1.5 times what one core verifies in a second: a backend cannot verify faster, so it never
// runs out. Plain rows are cheap to make but take memory, so their pools are capped; a client
// whose pool runs out stops early, and the table shows the seconds it ran.
constexpr double kSignedPoolMin = 12000;       // records per client per second, at least
constexpr double kPlainPool = 40000;           // single-row, per client per second
constexpr double kPlainBulkPool = 200000;      // bulk, per client per second
constexpr std::size_t kPlainPoolCap = 1000000; // per client (about 350 MB)
constexpr int kColumns = 6;
const char *const kColumnList = "(shard_id, key, value, version, created_by, signature)";

using mycelium::pgclient::Connection;

struct Record {
  const char *shard = nullptr;
  std::string key, value, signature;
};
using Pools = std::vector<std::vector<Record>>; // one per client

// New keys (version 1), `count` per client. Statement g of client c (rows_per_statement rows)
// goes to shard (g * clients + c) % 4: together the clients go round-robin over the 4 shards, and
// no two clients write the same shard, so they never wait for each other's shard lock. With
// `signer` every record is signed; without it, records carry one real signature (same size).
Pools make_pools(const std::string &tag, int clients, std::size_t count, int rows_per_statement,
                 const mycelium::SecretKey *signer, const std::string &filler_signature) {
  Pools pools(clients, std::vector<Record>(count));
  parallel_for(clients * count, [&](std::size_t n) {
    const int client = static_cast<int>(n / count);
    const std::size_t i = n % count;
    Record &r = pools[client][i];
    r.shard = kShardIds[(i / rows_per_statement * clients + client) % kShards];
    r.key = tag + "-" + std::to_string(client) + "-" + std::to_string(i);
    char payload[33];
    std::snprintf(payload, sizeof payload, "%016" PRIx64 "%016" PRIx64, mix(n), mix(~n));
    // Already canonical JSON: no whitespace, keys sorted, plain ASCII.
    r.value = "{\"n\":" + std::to_string(i) + ",\"payload\":\"" + payload + "\"}";
    r.signature =
        signer ? hex(signer->sign(mycelium::put_payload(r.shard, r.key, 1, kNodeId, r.value)))
               : filler_signature;
  });
  return pools;
}

std::string insert_sql(const std::string &table, int rows) {
  std::string sql = "INSERT INTO " + table + " " + kColumnList + " VALUES ";
  for (int row = 0; row < rows; ++row) {
    const auto param = [&](int column) { return "$" + std::to_string(row * kColumns + column); };
    sql += std::string(row ? ", (" : "(") + param(1) + ", " + param(2) + ", " + param(3) +
           "::jsonb, " + param(4) + ", " + param(5) + ", " + param(6) + ")";
  }
  return sql;
}

struct Phase {
  std::string name;
  int clients = 0;
  std::uint64_t rows = 0;
  double seconds = 0; // longest client
  double rate = 0;    // rows (= transactions for single-row) per second, summed over clients
};

// Each client writes statement after statement (autocommit) until `duration` has passed or its
// pool is used up. The rate is the sum of each client's rows / its own elapsed time.
Phase run_phase(const std::string &name, const std::string &sql, int rows_per_statement,
                const Pools &pools, double duration) {
  const int clients = static_cast<int>(pools.size());
  std::vector<std::unique_ptr<Connection>> conns;
  for (int c = 0; c < clients; ++c) {
    conns.push_back(std::make_unique<Connection>("", "mycelium-bench"));
    conns.back()->prepare("w", sql);
  }
  std::vector<std::uint64_t> rows(clients, 0);
  std::vector<double> seconds(clients, 0);
  std::vector<std::exception_ptr> errors(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      try {
        const std::vector<Record> &pool = pools[c];
        std::vector<const char *> params(rows_per_statement * kColumns);
        const auto start = Clock::now();
        std::size_t next = 0;
        while (next + rows_per_statement <= pool.size() && seconds_since(start) < duration) {
          for (int row = 0; row < rows_per_statement; ++row) {
            const Record &r = pool[next + row];
            const char *values[kColumns] = {r.shard, r.key.c_str(), r.value.c_str(),
                                            "1",     kNodeId,       r.signature.c_str()};
            std::copy(values, values + kColumns, params.begin() + row * kColumns);
          }
          conns[c]->exec_prepared("w", static_cast<int>(params.size()), params.data());
          next += rows_per_statement;
        }
        seconds[c] = seconds_since(start);
        rows[c] = next;
        if (next + rows_per_statement > pool.size())
          std::fprintf(stderr, "  (client %d used its whole pool after %.1f s)\n", c, seconds[c]);
      } catch (...) {
        errors[c] = std::current_exception();
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::exception_ptr &e : errors)
    if (e)
      std::rethrow_exception(e);

  Phase phase{name, clients};
  for (int c = 0; c < clients; ++c) {
    phase.rows += rows[c];
    phase.seconds = std::max(phase.seconds, seconds[c]);
    phase.rate += static_cast<double>(rows[c]) / seconds[c];
  }
  std::fprintf(stderr, "  %-32s %d client(s): %9" PRIu64 " rows in %5.1f s = %10.0f /s\n",
               name.c_str(), clients, phase.rows, phase.seconds, phase.rate);
  return phase;
}

// Ed25519 verifications per second on this thread, over distinct pre-signed put payloads.
double measure_verify_rate(const mycelium::SecretKey &key) {
  std::vector<Bytes> payloads(kVerifyCount);
  std::vector<mycelium::Signature> signatures(kVerifyCount);
  for (std::size_t i = 0; i < kVerifyCount; ++i) {
    const std::string value = "{\"n\":" + std::to_string(i) + ",\"payload\":\"verify\"}";
    payloads[i] = mycelium::put_payload(kShardIds[i % kShards], "verify-" + std::to_string(i), 1,
                                        kNodeId, value);
    signatures[i] = key.sign(payloads[i]);
  }
  const auto start = Clock::now();
  for (std::size_t i = 0; i < kVerifyCount; ++i)
    if (!mycelium::verify(signatures[i], payloads[i], key.public_key()))
      throw std::runtime_error("verify failed on a freshly signed payload");
  return kVerifyCount / seconds_since(start);
}

// Ed25519 signatures per second on this thread, over chain-link payloads (what the database
// signs for every row it logs).
double measure_sign_rate(const mycelium::SecretKey &key) {
  std::vector<Bytes> payloads(kVerifyCount);
  for (std::size_t i = 0; i < kVerifyCount; ++i) {
    mycelium::Hash entry_hash{};
    entry_hash[0] = static_cast<std::uint8_t>(i);
    payloads[i] = mycelium::link_payload(kShardIds[i % kShards], i + 1, entry_hash, kNodeId, 0);
  }
  std::vector<mycelium::Signature> signatures(kVerifyCount);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < kVerifyCount; ++i)
    signatures[i] = key.sign(payloads[i]);
  return kVerifyCount / seconds_since(start);
}

void setup(Connection &db, const mycelium::SecretKey &key) {
  db.scalar("CREATE EXTENSION mycelium");
  mycelium::NodeRegistration node;
  node.node_id = kNodeId;
  node.node_type = "validator";
  node.public_key = mycelium::to_hex(key.public_key().data(), key.public_key().size());
  node.ip = "127.0.0.1";
  node.port = 5432;
  node.version = "bench";
  node.canonical_capabilities = "{}";
  const std::string signature = hex(key.sign(mycelium::registration_payload(node)));
  db.scalar("SELECT mycelium.register_node($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
            {node.node_id, node.node_type, node.public_key, node.ip, std::to_string(node.port),
             node.version, node.canonical_capabilities, signature});
  // The baseline: the same columns and partitions, a unique key per partition, no triggers.
  db.scalar("CREATE SCHEMA bench_plain");
  db.scalar("CREATE TABLE bench_plain.data (LIKE mycelium.data) PARTITION BY LIST (shard_id)");
  for (const char *shard : kShardIds) {
    db.scalar("SELECT mycelium.create_shard($1)", {shard});
    const std::string partition = std::string("bench_plain.data_") + shard;
    db.scalar("CREATE TABLE " + partition + " PARTITION OF bench_plain.data FOR VALUES IN ('" +
              shard + "')");
    db.scalar("CREATE UNIQUE INDEX ON " + partition + " (key)");
  }
}

// One table row; a signed phase is compared with its plain baseline and its target (for
// single-row phases the per-client rate, for bulk the total).
void print_row(const Phase &p, const std::string &unit, const Phase *plain, double measured,
               double target) {
  std::printf("| %s | %d | %.1f | %s %s | %s |", p.name.c_str(), p.clients, p.seconds,
              num(p.rate).c_str(), unit.c_str(), num(p.rate / p.clients).c_str());
  if (!plain) {
    std::printf(" | | |\n");
    return;
  }
  const bool per_client = unit == "TPS";
  std::printf(" %s | %s %s%s | %s (%s %% of target) |\n", fixed(p.rate / plain->rate, 2).c_str(),
              num(target).c_str(), unit.c_str(), per_client ? " per client" : "",
              measured >= target ? "**met**" : "**not met**",
              fixed(100 * measured / target, 0).c_str());
}

double parse_duration(int argc, char **argv) {
  std::string text = std::getenv("DURATION") ? std::getenv("DURATION") : "10";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--duration" && i + 1 < argc)
      text = argv[++i];
    else
      throw std::runtime_error("usage: mycelium-bench-signed-writes [--duration SECONDS]\n"
                               "connects with the PG* environment variables (pg_virtualenv)");
  }
  const double duration = std::atof(text.c_str());
  if (!(duration > 0))
    throw std::runtime_error("duration must be a positive number of seconds, got \"" + text + "\"");
  return duration;
}

int run(int argc, char **argv) {
  const double duration = parse_duration(argc, argv);
  const mycelium::SecretKey key = mycelium::SecretKey::generate();
  const std::string filler = hex(key.sign(mycelium::put_payload("b0", "filler", 1, kNodeId, "{}")));

  Connection db("", "mycelium-bench");
  std::fprintf(stderr, "setup: extension, validator %s, shards b0..b3, bench_plain.data\n",
               kNodeId);
  setup(db, key);
  const std::string pg_version = db.scalar("SHOW server_version");
  const std::string settings = "shared_buffers=" + db.scalar("SHOW shared_buffers") +
                               ", synchronous_commit=" + db.scalar("SHOW synchronous_commit") +
                               ", fsync=" + db.scalar("SHOW fsync");

  std::fprintf(stderr, "verify rate: %zu distinct payloads on one thread\n", kVerifyCount);
  const double verify_rate = measure_verify_rate(key);
  std::fprintf(stderr, "  %.0f verifications/s\n", verify_rate);
  const double sign_rate = measure_sign_rate(key);
  std::fprintf(stderr, "  %.0f signatures/s\n", sign_rate);

  const std::string plain_one = insert_sql("bench_plain.data", 1);
  const std::string signed_one = insert_sql("mycelium.data", 1);
  const std::string put_one = "SELECT mycelium.put($1, $2, $3::jsonb, $4, $5, $6)";
  const auto phase = [&](const std::string &name, const std::string &tag, const std::string &sql,
                         int clients, int rows_per_statement, bool sign) {
    auto count =
        static_cast<std::size_t>(duration * (sign ? std::max(kSignedPoolMin, 1.5 * verify_rate)
                                             : rows_per_statement == 1 ? kPlainPool
                                                                       : kPlainBulkPool));
    if (!sign)
      count = std::min(count, kPlainPoolCap);
    count = std::max<std::size_t>(count / rows_per_statement, 1) * rows_per_statement;
    std::fprintf(stderr, "%s, %d client(s): preparing %zu records per client%s\n", name.c_str(),
                 clients, count, sign ? " (signing)" : "");
    const Pools pools =
        make_pools(tag, clients, count, rows_per_statement, sign ? &key : nullptr, filler);
    db.scalar("CHECKPOINT"); // each phase starts without the previous one's dirty pages
    return run_phase(name, sql, rows_per_statement, pools, duration);
  };

  std::vector<Phase> single; // per client count: plain, put, signed INSERT
  for (int clients : {1, 2}) {
    const std::string n = std::to_string(clients);
    single.push_back(phase("plain INSERT", "plain" + n, plain_one, clients, 1, false));
    single.push_back(phase("mycelium.put()", "put" + n, put_one, clients, 1, true));
    single.push_back(phase("signed INSERT", "insert" + n, signed_one, clients, 1, true));
  }
  const Phase bulk_plain =
      phase("bulk plain INSERT (" + std::to_string(kBulkRows) + " rows/statement)", "bulkplain",
            insert_sql("bench_plain.data", kBulkRows), 2, kBulkRows, false);
  const Phase bulk_signed =
      phase("bulk signed INSERT (" + std::to_string(kBulkRows) + " rows/statement)", "bulksigned",
            insert_sql("mycelium.data", kBulkRows), 2, kBulkRows, true);

  // Every counted row must be there, and nothing else.
  std::uint64_t plain_rows = bulk_plain.rows, signed_rows = bulk_signed.rows;
  for (std::size_t i = 0; i < single.size(); ++i)
    (i % 3 == 0 ? plain_rows : signed_rows) += single[i].rows;
  if (db.scalar("SELECT count(*) FROM bench_plain.data") != std::to_string(plain_rows) ||
      db.scalar("SELECT count(*) FROM mycelium.data") != std::to_string(signed_rows))
    throw std::runtime_error("row counts in the database differ from the rows written");

  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("\n### %s\n\n", date);
  std::printf("Machine: nproc %d, %s; PostgreSQL %s (%s); %.0f s per phase.\n", online_cpus(),
              cpu_model().c_str(), pg_version.c_str(), settings.c_str(), duration);
  std::printf("Verify rate of one core (same run): **%s verifications/s**.\n\n",
              num(verify_rate).c_str());
  std::printf(
      "| phase | clients | seconds | rate | per client | signed/plain | target | result |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|\n");
  for (std::size_t i = 0; i < single.size(); ++i) {
    const Phase &plain = single[i / 3 * 3];
    if (i % 3 == 0) {
      print_row(plain, "TPS", nullptr, 0, 0);
      continue;
    }
    const double target = 0.9 / (1 / (plain.rate / plain.clients) + 1 / verify_rate);
    print_row(single[i], "TPS", &plain, single[i].rate / single[i].clients, target);
  }
  print_row(bulk_plain, "rows/s", nullptr, 0, 0);
  print_row(bulk_signed, "rows/s", &bulk_plain, bulk_signed.rate, 0.8 * 2 * verify_rate);
  std::printf("\nTargets: single-row, per client, 0.9 / (1/plain_per_client + 1/verify_rate); "
              "bulk, in total, 0.8 x (2 cores x verify_rate).\n");
  // Where a bulk signed row's CPU goes, with two clients keeping both cores busy: the plain
  // row, the one signature check the target counts, the chain-link signature the
  // database makes for every row it logs, and the rest (audit append, lookups, triggers).
  const double cores = 2;
  const double total_us = cores * 1e6 / bulk_signed.rate;
  const double plain_us = cores * 1e6 / bulk_plain.rate;
  const double verify_us = 1e6 / verify_rate;
  const double sign_us = 1e6 / sign_rate;
  const double floor_us = plain_us + verify_us + sign_us;
  std::printf("\nPer bulk signed row, µs of CPU (%.0f cores busy): %s in all = plain insert %s + "
              "signature check %s + chain-link signature %s (one core signs %s/s) + the rest %s "
              "(audit append, lookups, triggers). With nothing but the first three the ceiling "
              "is %s rows/s = %s x the bulk target.\n",
              cores, fixed(total_us, 0).c_str(), fixed(plain_us, 0).c_str(),
              fixed(verify_us, 0).c_str(), fixed(sign_us, 0).c_str(), num(sign_rate).c_str(),
              fixed(total_us - floor_us, 0).c_str(), num(cores * 1e6 / floor_us).c_str(),
              fixed(cores * 1e6 / floor_us / (0.8 * 2 * verify_rate), 2).c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mycelium-bench-signed-writes: %s\n", e.what());
    return 1;
  }
}
