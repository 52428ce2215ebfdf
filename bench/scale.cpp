// Scale benchmark: does a signed write cost more when the database holds many shards, and how
// does the initial copy of a large shard to a new replica (mycelium.add_replica) go: its time and
// rate, the progress replica_copy_progress reports while it runs, and the memory of the two
// backends doing it, against the initial table sync of PostgreSQL's native logical replication
// of the same rows. Prints a Markdown section for bench/RESULTS.md. Run it through
// bench/scale.sh, which starts the two clusters:
//   primary  database mycelium (extension), database logical_pub (publication)
//   replica  database mycelium (extension), database logical_sub (subscription)
#include "bench_nodes.hpp"
#include "mycelium/key_file.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mycelium::bench;

struct Options {
  int primary_port = 0, replica_port = 0;
  int shards = 1000;               // shards in the database for the second half of the write phases
  std::size_t copy_rows = 1000000; // entries of the large initial copy (and COPY_ROWS/10)
  double write_seconds = 10;       // per write phase
};

std::string shard_name(int i) {
  return "s" + std::to_string(i);
}

// ---------------------------------------------------------------------------------------------
// Part 1: writes against the number of shards.

// One way of writing: into which database, which shard each row goes to.
struct WritePhase {
  std::string what;   // single-row put() or bulk INSERT
  std::string target; // where the rows went
  int shards_in_db = 0;
  std::size_t rows = 0;
  double seconds = 0, rate = 0;
  bool baseline = false;
  bool first_touch = false; // the session's first write into each shard, before the rounds
  double ratio = 0;         // rate / the baseline's rate
  double min_ratio = 0, max_ratio = 0; // the same ratio round by round
};

// Appends `count` new keys to `pool`, key i into shard shard_of(i), signed on every core.
void grow_pool(std::vector<Record> &pool, const std::string &tag, std::size_t count,
               const std::function<int(std::size_t)> &shard_of, const mycelium::SecretKey &key) {
  const std::size_t first = pool.size();
  pool.resize(first + count);
  parallel_for(count, [&](std::size_t n) {
    const std::size_t i = first + n;
    pool[i] = make_record(shard_name(shard_of(i)), tag + "-" + std::to_string(i), i, key);
  });
}

// One client writes pool[next...], statement after statement (autocommit), until `duration`
// seconds have passed or the pool is used up: signed single-row mycelium.put() calls
// (rows_per_statement 1) or kBulkRows-row INSERTs into mycelium.data. Returns the rows written
// and advances `next`.
std::size_t run_writes(Connection &db, const std::vector<Record> &pool, std::size_t &next,
                       int rows_per_statement, double duration, double &seconds) {
  const std::string name = rows_per_statement == 1 ? "put1" : "bulk";
  prepare_once(db, name,
               rows_per_statement == 1 ? "SELECT mycelium.put($1, $2, $3::jsonb, 1, $4, $5)"
                                       : insert_sql("mycelium.data", rows_per_statement));
  std::vector<const char *> params;
  const std::size_t first = next;
  const auto start = Clock::now();
  while (next + rows_per_statement <= pool.size() && seconds_since(start) < duration) {
    params.clear();
    for (int row = 0; row < rows_per_statement; ++row) {
      const Record &r = pool[next + row];
      params.push_back(r.shard.c_str());
      params.push_back(r.key.c_str());
      params.push_back(r.value.c_str());
      if (rows_per_statement != 1)
        params.push_back("1");
      params.push_back(kPrimaryId);
      params.push_back(r.signature.c_str());
    }
    db.exec_prepared(name, static_cast<int>(params.size()), params.data());
    next += rows_per_statement;
  }
  seconds = seconds_since(start);
  return next - first;
}

struct ShardCreation {
  int shards = 0;
  double seconds = 0;
  double first_ms = 0, last_ms = 0; // per shard, over the first and the last tenth
};

struct WritesResult {
  std::vector<WritePhase> phases;
  ShardCreation creation;
  int rounds = 0;
};

constexpr int kRounds = 5;

// `p`: database mycelium, which gets SHARDS shards; `one`: database one_shard on the same
// cluster, which keeps one (the baseline). The ways of writing of one kind take turns: kRounds
// rounds, in each of which every way writes for WRITE_SECONDS / kRounds, starting with a
// different one each round, so that whatever else slows the machine down (other work,
// checkpoints) falls on all of them alike. Records are signed between the turns, never during.
WritesResult measure_writes(const Options &o, const mycelium::SecretKey &key, Connection &p,
                            Connection &one) {
  WritesResult result;
  result.rounds = kRounds;
  const int n = o.shards;
  one.scalar("SELECT mycelium.create_shard($1, replicas => 0)", {shard_name(0)});

  std::fprintf(stderr, "writes: creating %d shards in database mycelium\n", n);
  p.prepare("create_shard", "SELECT mycelium.create_shard($1, replicas => 0)");
  const int tenth = std::max(1, n / 10);
  const auto start = Clock::now();
  auto tenth_start = start;
  for (int i = 0; i < n; ++i) {
    if (i == n - tenth)
      tenth_start = Clock::now();
    const std::string id = shard_name(i);
    const char *values[1] = {id.c_str()};
    p.exec_prepared("create_shard", 1, values);
    if (i + 1 == tenth)
      result.creation.first_ms = 1000 * seconds_since(start) / tenth;
  }
  result.creation.shards = n;
  result.creation.seconds = seconds_since(start);
  result.creation.last_ms = 1000 * seconds_since(tenth_start) / tenth;
  std::fprintf(stderr, "  %d shards in %.1f s (%.1f ms each; first tenth %.1f, last tenth %.1f)\n",
               n, result.creation.seconds, 1000 * result.creation.seconds / n,
               result.creation.first_ms, result.creation.last_ms);
  if (p.scalar("SELECT count(*) FROM mycelium.shards WHERE kind = 'primary'") != std::to_string(n))
    throw std::runtime_error("the primary does not hold " + std::to_string(n) + " shards");

  const auto one_shard = [](std::size_t) { return 0; };
  const auto round_robin = [n](std::size_t i) { return static_cast<int>(i % n); };
  const auto by_statement = [n](std::size_t i) { return static_cast<int>(i / kBulkRows % n); };
  const std::string all = "all " + std::to_string(n) + " shards";
  const std::string put = "signed `mycelium.put()`, 1 row per transaction";
  const std::string bulk = "signed INSERT, " + std::to_string(kBulkRows) + " rows per statement";

  struct Way {
    Way(Connection *db_, std::string target_, std::function<int(std::size_t)> shard_of_)
        : db(db_), target(std::move(target_)), shard_of(std::move(shard_of_)) {}
    Connection *db;
    std::string target;
    std::function<int(std::size_t)> shard_of;
    WritePhase phase;
    std::vector<Record> pool;
    std::size_t next = 0;
    double best_rate = 0; // the fastest turn so far, to size the next turn's pool
    std::vector<double> round_rates;
  };
  int tag = 0;
  const auto kind = [&](const std::string &what, int rows_per_statement, double first_rate,
                        std::vector<Way> ways) {
    for (Way &w : ways) {
      w.phase.what = what;
      w.phase.target = w.target;
      w.phase.shards_in_db = w.db == &one ? 1 : n;
      w.phase.baseline = w.db == &one;
      w.best_rate = first_rate;
    }
    const std::string prefix = "w" + std::to_string(tag++) + "-";
    // Warming up (caches, prepared statements): a few statements each, not counted in the
    // rounds. Single-row writes spread over the shards first write one row into each shard: the
    // first write into a shard costs a session more (its partition is opened, statements are
    // prepared for it), which is shown apart, as its own line.
    std::vector<WritePhase> first_touch;
    for (std::size_t i = 0; i < ways.size(); ++i) {
      Way &w = ways[i];
      const bool spread = rows_per_statement == 1 && w.db != &one && w.shard_of(1) != 0;
      const std::size_t warm = spread ? static_cast<std::size_t>(n) : 4 * rows_per_statement;
      grow_pool(w.pool, prefix + std::to_string(i), warm, w.shard_of, key);
      double seconds = 0;
      const std::size_t rows = run_writes(*w.db, w.pool, w.next, rows_per_statement, 600, seconds);
      if (spread) {
        WritePhase f = w.phase;
        f.target = w.target + ": the session's first write into each shard (before the rounds)";
        f.first_touch = true;
        f.rows = rows;
        f.seconds = seconds;
        f.rate = static_cast<double>(rows) / seconds;
        first_touch.push_back(f);
        std::fprintf(stderr, "  first write into each of %d shards: %zu rows in %.1f s = %.0f/s\n",
                     n, rows, seconds, f.rate);
      }
    }
    p.scalar("CHECKPOINT");
    const double turn = o.write_seconds / kRounds;
    std::fprintf(stderr, "writes: %s, %d rounds of %.1f s per way:", what.c_str(), kRounds, turn);
    for (int round = 0; round < kRounds; ++round) {
      for (std::size_t k = 0; k < ways.size(); ++k) {
        const std::size_t i = (k + round) % ways.size();
        Way &w = ways[i];
        // Signed before the turn: twice what the fastest turn so far would write.
        const auto needed = static_cast<std::size_t>(2 * w.best_rate * turn) + rows_per_statement;
        if (w.pool.size() - w.next < needed)
          grow_pool(w.pool, prefix + std::to_string(i), needed - (w.pool.size() - w.next),
                    w.shard_of, key);
        double seconds = 0;
        const std::size_t rows =
            run_writes(*w.db, w.pool, w.next, rows_per_statement, turn, seconds);
        w.phase.rows += rows;
        w.phase.seconds += seconds;
        const double rate = static_cast<double>(rows) / seconds;
        w.round_rates.push_back(rate);
        w.best_rate = std::max(w.best_rate, rate);
      }
      std::fprintf(stderr, " %d", round + 1);
    }
    std::fprintf(stderr, "\n");
    const Way &base = ways.front();
    const double base_rate = static_cast<double>(base.phase.rows) / base.phase.seconds;
    for (Way &w : ways) {
      w.phase.rate = static_cast<double>(w.phase.rows) / w.phase.seconds;
      w.phase.ratio = w.phase.rate / base_rate;
      w.phase.min_ratio = 1e9;
      for (int r = 0; r < kRounds; ++r) {
        const double ratio = w.round_rates[r] / base.round_rates[r];
        w.phase.min_ratio = std::min(w.phase.min_ratio, ratio);
        w.phase.max_ratio = std::max(w.phase.max_ratio, ratio);
      }
      std::fprintf(stderr,
                   "  %s (%d shards in the database): %zu rows in %.1f s = %.0f rows/s, "
                   "%.2f of the baseline; round by round:",
                   w.target.c_str(), w.phase.shards_in_db, w.phase.rows, w.phase.seconds,
                   w.phase.rate, w.phase.ratio);
      for (int r = 0; r < kRounds; ++r)
        std::fprintf(stderr, " %.0f (%.2f)", w.round_rates[r],
                     w.round_rates[r] / base.round_rates[r]);
      std::fprintf(stderr, "\n");
      result.phases.push_back(w.phase);
    }
    for (WritePhase &f : first_touch) {
      f.ratio = f.rate / base_rate; // against the rounds' baseline: no range
      result.phases.push_back(f);
    }
  };
  kind(put, 1, 2000,
       {{&one, "its one shard", one_shard},
        {&p, "one shard", one_shard},
        {&p, all + ", round-robin row by row", round_robin}});
  kind(bulk, kBulkRows, 15000,
       {{&one, "its one shard", one_shard},
        {&p, "one shard", one_shard},
        {&p, all + ", round-robin statement by statement", by_statement},
        {&p,
         all + ", round-robin row by row (a statement spans " +
             std::to_string(std::min(n, kBulkRows)) + " shards)",
         round_robin}});
  return result;
}

// ---------------------------------------------------------------------------------------------
// Part 2: the initial copy.

// Samples the memory of the backends of a copy every 200 ms: on each side (primary, replica) the
// processes `list` returns at that moment (it runs on the sampler's thread). For each process:
// the largest VmRSS and RssAnon seen, and its last VmHWM (the kernel's own peak).
class MemorySampler {
public:
  struct Peak {
    int pid = 0;
    long hwm_kb = 0, max_rss_kb = 0, max_anon_kb = 0;
    double cpu = 0; // CPU seconds used, at the last sample
    int samples = 0;
  };
  using Lister = std::function<std::vector<int>()>;

  // The private memory (RssAnon, kB) of each side at a moment: the largest of its processes.
  struct Point {
    double at = 0; // seconds since the sampler started
    long anon_kb[2] = {0, 0};
  };

  MemorySampler(Lister primary, Lister replica)
      : listers_{std::move(primary), std::move(replica)}, start_(Clock::now()),
        thread_([this] { loop(); }) {}
  ~MemorySampler() { stop(); }
  MemorySampler(const MemorySampler &) = delete;
  MemorySampler &operator=(const MemorySampler &) = delete;

  // Takes a last sample (the processes that are still there) and ends the thread.
  void stop() {
    if (!thread_.joinable())
      return;
    stop_ = true;
    thread_.join();
    if (error_)
      std::rethrow_exception(error_);
  }

  // The process of a side with the largest peak (VmHWM, else the largest RSS seen).
  Peak peak(int side) const {
    Peak best;
    for (const auto &[pid, p] : peaks_[side])
      if (std::max(p.hwm_kb, p.max_rss_kb) > std::max(best.hwm_kb, best.max_rss_kb))
        best = p;
    return best;
  }

  const std::vector<Point> &series() const { return series_; }

private:
  void sample() {
    Point point;
    point.at = seconds_since(start_);
    for (int side = 0; side < 2; ++side)
      for (int pid : listers_[side]()) {
        const ProcessMemory m = process_memory(pid);
        if (m.rss_kb == 0)
          continue; // gone
        point.anon_kb[side] = std::max(point.anon_kb[side], m.anon_kb);
        Peak &p = peaks_[side][pid];
        p.pid = pid;
        p.hwm_kb = std::max(p.hwm_kb, m.hwm_kb);
        p.max_rss_kb = std::max(p.max_rss_kb, m.rss_kb);
        p.max_anon_kb = std::max(p.max_anon_kb, m.anon_kb);
        p.cpu = std::max(p.cpu, process_cpu_seconds(pid));
        ++p.samples;
      }
    series_.push_back(point);
  }
  void loop() {
    try {
      auto next = Clock::now();
      while (!stop_) {
        sample();
        next += std::chrono::milliseconds(200);
        std::this_thread::sleep_until(next);
      }
      sample();
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  Lister listers_[2];
  std::map<int, Peak> peaks_[2];
  Clock::time_point start_;
  std::vector<Point> series_;
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  std::thread thread_;
};

struct ProgressSample {
  double at = 0; // seconds since the copy started
  std::int64_t copied = 0, total = 0;
  std::string percent, reported_rate; // as the view shows them
};

struct CopyRun {
  std::string what, shard;
  std::size_t rows = 0;
  double seconds = 0, rate = 0;
  MemorySampler::Peak primary, replica;
  std::vector<MemorySampler::Point> memory; // private memory of both sides over the copy
  double primary_cpu = 0, replica_cpu = 0;
  std::vector<ProgressSample> progress;
  double progress_gone_at = 0; // the first poll after the view had listed the copy that did not
  bool verified = false;
  // Writing the rows on the primary before the copy.
  double sign_seconds = 0, write_seconds = 0;
  double logical_insert_seconds = 0; // the same rows into logical_pub's plain table
};

std::vector<int> pids_of(Connection &db, const std::string &where) {
  std::vector<int> pids;
  for (const auto &row : db.query("SELECT pid FROM pg_stat_activity WHERE " + where))
    if (row[0])
      pids.push_back(std::stoi(*row[0]));
  return pids;
}

// Writes `rows` signed entries into `shard` on the primary (kBulkRows-row INSERTs, one client),
// signing them 50,000 at a time on every core (not counted in the write time), and, with `pub`,
// the same rows into logical_pub's bench_data. The driver holds one chunk at a time.
void write_copy_rows(CopyRun &run, Connection &p, Connection *pub, const mycelium::SecretKey &key) {
  constexpr std::size_t kChunk = 50000;
  for (std::size_t first = 0; first < run.rows; first += kChunk) {
    const std::size_t n = std::min(kChunk, run.rows - first);
    auto start = Clock::now();
    const std::vector<Record> records = sign_records(run.shard, n, key, first);
    run.sign_seconds += seconds_since(start);
    start = Clock::now();
    insert_records(p, "mycelium.data", records);
    run.write_seconds += seconds_since(start);
    if (pub) {
      start = Clock::now();
      insert_records(*pub, "bench_data", records);
      run.logical_insert_seconds += seconds_since(start);
    }
    if ((first / kChunk) % 4 == 3 || first + n == run.rows)
      std::fprintf(stderr, "  %zu of %zu rows written (%.0f signed rows/s)\n", first + n, run.rows,
                   static_cast<double>(first + n) / run.write_seconds);
  }
}

// Polls mycelium.replica_copy_progress for `shard` every second on its own connection until
// `done`.
std::thread progress_poller(int port, const std::string &shard, Clock::time_point start,
                            std::vector<ProgressSample> &samples, double &gone_at,
                            std::atomic<bool> &done, std::exception_ptr &error) {
  return std::thread([=, &samples, &gone_at, &done, &error] {
    try {
      Connection db(conninfo(port, "mycelium"), "mycelium-bench-progress");
      db.prepare("progress", "SELECT copied, total, percent, entries_per_second FROM "
                             "mycelium.replica_copy_progress WHERE shard_id = $1");
      auto next = start;
      while (!done) {
        next += std::chrono::seconds(1);
        while (!done && Clock::now() < next)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (done)
          break;
        const char *values[1] = {shard.c_str()};
        const auto result = db.exec_prepared("progress", 1, values);
        const double at = seconds_since(start);
        if (result.rows() == 0) {
          if (!samples.empty() && gone_at == 0)
            gone_at = at;
          continue;
        }
        samples.push_back({at, std::stoll(result.text(0, 0)), std::stoll(result.text(0, 1)),
                           result.text(0, 2), result.text(0, 3)});
      }
    } catch (...) {
      error = std::current_exception();
    }
  });
}

// add_replica(shard, replica) on a fresh connection (so that its backend's VmHWM is the copy's),
// timed, with the progress poller and the memory sampler running, then verify_replica.
void run_add_replica(const Options &o, CopyRun &run, Connection &p) {
  Connection copier(conninfo(o.primary_port, "mycelium"), "mycelium-bench-copy");
  const int copier_pid = copier.backend_pid();
  const double copier_cpu = process_cpu_seconds(copier_pid);
  std::vector<int> seen_replica;
  std::atomic<bool> done{false};
  std::exception_ptr progress_error;
  {
    auto replica_db =
        std::make_shared<Connection>(conninfo(o.replica_port, "mycelium"), "mycelium-bench");
    // postgres_fdw's session on the replica, opened by the copier: it applies the entries.
    MemorySampler memory(
        [copier_pid] { return std::vector<int>{copier_pid}; },
        [replica_db, &seen_replica] {
          std::vector<int> pids = pids_of(*replica_db, "usename = 'mycelium_sync'");
          for (int pid : pids)
            if (std::find(seen_replica.begin(), seen_replica.end(), pid) == seen_replica.end())
              seen_replica.push_back(pid);
          return pids;
        });
    const auto start = Clock::now();
    std::thread poller = progress_poller(o.primary_port, run.shard, start, run.progress,
                                         run.progress_gone_at, done, progress_error);
    try {
      copier.scalar("SELECT mycelium.add_replica($1, $2)", {run.shard, kReplicaId});
    } catch (...) {
      done = true;
      poller.join();
      throw;
    }
    run.seconds = seconds_since(start);
    done = true;
    poller.join();
    memory.stop(); // before the copier's connection closes: its fdw session on the replica ends
    run.primary = memory.peak(0);
    run.replica = memory.peak(1);
    run.memory = memory.series();
  }
  if (progress_error)
    std::rethrow_exception(progress_error);
  run.primary_cpu = process_cpu_seconds(copier_pid) - copier_cpu;
  // The replica's session may end with the copy's transaction: its CPU time as last sampled.
  run.replica_cpu = run.replica.cpu;
  run.rate = static_cast<double>(run.rows) / run.seconds;
  const auto check = p.query("SELECT local_records, remote_records, match FROM "
                             "mycelium.verify_replica($1, $2)",
                             {run.shard, kReplicaId});
  run.verified = !check.empty() && check[0][0] == std::to_string(run.rows) &&
                 check[0][1] == std::to_string(run.rows) && check[0][2] == "t";
  std::fprintf(stderr,
               "  add_replica: %zu entries in %.1f s = %.0f/s; peak memory (VmHWM): primary "
               "backend %ld kB, replica backend %ld kB (pid %d of %zu seen); verify_replica %s\n",
               run.rows, run.seconds, run.rate, run.primary.hwm_kb, run.replica.hwm_kb,
               run.replica.pid, seen_replica.size(), run.verified ? "matches" : "DOES NOT MATCH");
  if (!run.verified)
    throw std::runtime_error("the replica of " + run.shard + " does not match its primary");
}

// Native logical replication's initial table sync of the same rows: a subscription created with
// copy_data on the replica, timed until the table's state is ready (pg_subscription_rel 'r').
CopyRun logical_copy(const Options &o, std::size_t rows) {
  CopyRun run;
  run.what = "native logical replication: initial table sync (CREATE SUBSCRIPTION ... copy_data)";
  run.rows = rows;
  Connection pub(conninfo(o.primary_port, "logical_pub"), "mycelium-bench");
  Connection sub(conninfo(o.replica_port, "logical_sub"), "mycelium-bench");
  sub.scalar("SET client_min_messages = warning"); // no NOTICEs about the slot
  pub.scalar("CHECKPOINT");
  sub.scalar("CHECKPOINT");
  auto pub_db = std::make_shared<Connection>(conninfo(o.primary_port, "logical_pub"), "mb");
  auto sub_db = std::make_shared<Connection>(conninfo(o.replica_port, "logical_sub"), "mb");
  {
    // The publisher's walsenders (the table sync's COPY runs in one) and the subscriber's logical
    // replication workers (the table sync worker applies it).
    MemorySampler memory(
        [pub_db] { return pids_of(*pub_db, "backend_type = 'walsender'"); },
        [sub_db] { return pids_of(*sub_db, "backend_type = 'logical replication worker'"); });
    const auto start = Clock::now();
    sub.scalar("CREATE SUBSCRIPTION bench_sub CONNECTION '" +
               conninfo(o.primary_port, "logical_pub") + "' PUBLICATION bench_pub");
    for (;;) {
      if (sub.scalar("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'") == "0")
        break;
      if (seconds_since(start) > 1800)
        throw std::runtime_error("the table sync did not end within 1800 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    run.seconds = seconds_since(start);
    memory.stop();
    run.primary = memory.peak(0);
    run.replica = memory.peak(1);
  }
  run.rate = static_cast<double>(rows) / run.seconds;
  run.verified = sub.scalar("SELECT count(*) FROM bench_data") == std::to_string(rows);
  std::fprintf(stderr,
               "  logical table sync: %zu rows in %.1f s = %.0f/s; peak memory (VmHWM): "
               "walsender %ld kB, sync worker %ld kB\n",
               rows, run.seconds, run.rate, run.primary.hwm_kb, run.replica.hwm_kb);
  if (!run.verified)
    throw std::runtime_error("the subscriber does not hold every row");
  sub.scalar("DROP SUBSCRIPTION bench_sub");
  return run;
}

struct CopyResult {
  std::vector<CopyRun> runs; // mycelium COPY_ROWS/10, mycelium COPY_ROWS, logical COPY_ROWS
};

CopyResult measure_copies(const Options &o, const mycelium::SecretKey &key, Connection &p) {
  CopyResult result;
  Connection pub(conninfo(o.primary_port, "logical_pub"), "mycelium-bench");
  Connection sub(conninfo(o.replica_port, "logical_sub"), "mycelium-bench");
  const std::string table = "CREATE TABLE bench_data (key text NOT NULL, value jsonb NOT NULL, "
                            "version integer NOT NULL, created_by text NOT NULL, "
                            "signature text NOT NULL, shard_id text NOT NULL, "
                            "PRIMARY KEY (shard_id, key))";
  pub.scalar(table);
  sub.scalar(table);
  pub.scalar("CREATE PUBLICATION bench_pub FOR TABLE bench_data");

  for (const std::size_t rows : {std::max<std::size_t>(o.copy_rows / 10, 1), o.copy_rows}) {
    const bool large = rows == o.copy_rows;
    CopyRun run;
    run.what = "mycelium `add_replica`";
    run.rows = rows;
    run.shard = "copy" + std::to_string(rows);
    p.scalar("SELECT mycelium.create_shard($1, replicas => 0)", {run.shard});
    std::fprintf(stderr, "copy: writing %zu signed entries into %s%s\n", rows, run.shard.c_str(),
                 large ? " (and the same rows into logical_pub)" : "");
    write_copy_rows(run, p, large ? &pub : nullptr, key);
    p.scalar("CHECKPOINT");
    p.scalar("VACUUM ANALYZE mycelium.audit_log");
    p.scalar("CHECKPOINT");
    std::fprintf(stderr, "copy: add_replica('%s', '%s')\n", run.shard.c_str(), kReplicaId);
    run_add_replica(o, run, p);
    result.runs.push_back(run);
  }
  std::fprintf(stderr, "copy: logical replication of the same %zu rows\n", o.copy_rows);
  CopyRun logical = logical_copy(o, o.copy_rows);
  logical.logical_insert_seconds = result.runs.back().logical_insert_seconds;
  result.runs.push_back(logical);
  return result;
}

// ---------------------------------------------------------------------------------------------

Options parse_options(int argc, char **argv) {
  Options o;
  const auto usage = [] {
    return std::runtime_error(
        "usage: mycelium-bench-scale --primary-port PORT --replica-port PORT [--shards N] "
        "[--copy-rows N] [--write-seconds S]\nrun it through bench/scale.sh");
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc)
      throw usage();
    const std::string value = argv[++i];
    if (arg == "--primary-port")
      o.primary_port = static_cast<int>(option_number(value, 1));
    else if (arg == "--replica-port")
      o.replica_port = static_cast<int>(option_number(value, 1));
    else if (arg == "--shards")
      o.shards = static_cast<int>(option_number(value, 2));
    else if (arg == "--copy-rows")
      o.copy_rows = static_cast<std::size_t>(option_number(value, 10));
    else if (arg == "--write-seconds")
      o.write_seconds = option_number(value, 1);
    else
      throw usage();
  }
  if (o.primary_port == 0 || o.replica_port == 0)
    throw usage();
  return o;
}

std::string mb(long kb) {
  return fixed(static_cast<double>(kb) / 1024, 1);
}

void print_writes(const Options &o, const WritesResult &w) {
  std::printf("#### Writes against the number of shards\n\n");
  std::printf("One client; records signed in the driver between turns, never during one. The "
              "baseline is database `one_shard` on the same cluster, which holds one shard; the "
              "others write into database `mycelium`, which holds %s. The ways of writing of a "
              "kind take turns: %d rounds, each way writing %s s per round (%s s in all, less "
              "when a turn ran out of signed rows), each round starting with another, so that "
              "the machine's other work falls on all alike. \"/ 1 shard\": rate over the "
              "baseline's; \"flat\": ≥ 0.9. \"per round\": the same ratio in each round, "
              "lowest–highest. Before the rounds each way writes a few statements, not counted; "
              "single-row writes spread over the shards first write one row into every shard "
              "(a session's first write into a shard costs more), shown on a line of its own. "
              "Bulk writes round-robin statement by statement reach only as many shards as they "
              "write statements.\n\n",
              num(o.shards).c_str(), w.rounds, fixed(o.write_seconds / w.rounds, 1).c_str(),
              fixed(o.write_seconds, 0).c_str());
  std::printf("| write | shards in the database | written into | rows | seconds | rows/s | / 1 "
              "shard | per round | flat |\n|---|---:|---|---:|---:|---:|---:|---:|---|\n");
  for (const WritePhase &p : w.phases)
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.what.c_str(),
                num(p.shards_in_db).c_str(), p.target.c_str(),
                num(static_cast<double>(p.rows)).c_str(), fixed(p.seconds, 1).c_str(),
                num(p.rate).c_str(), p.baseline ? "" : fixed(p.ratio, 2).c_str(),
                p.baseline || p.first_touch
                    ? ""
                    : (fixed(p.min_ratio, 2) + "–" + fixed(p.max_ratio, 2)).c_str(),
                p.baseline       ? "(baseline)"
                : p.first_touch  ? "(once per session and shard)"
                : p.ratio >= 0.9 ? "**yes**"
                                 : "**no**");
  const ShardCreation &c = w.creation;
  std::printf("\nCreating the %s shards of database `mycelium` "
              "(`mycelium.create_shard(id, replicas => 0)`, one statement each) took %s s: %s ms "
              "per shard (first tenth %s ms, last tenth %s ms per shard).\n\n",
              num(c.shards).c_str(), fixed(c.seconds, 1).c_str(),
              fixed(1000 * c.seconds / c.shards, 1).c_str(), fixed(c.first_ms, 1).c_str(),
              fixed(c.last_ms, 1).c_str());
}

// What the progress samples of a copy say: per-second rates between samples.
struct Steadiness {
  double min = 0, median = 0, max = 0;
  double first_half = 0, second_half = 0; // entries/s over each half of the samples
  int stalls = 0;                         // intervals in which `copied` did not move
};
Steadiness steadiness(const CopyRun &run) {
  Steadiness s;
  const auto &v = run.progress;
  if (v.size() < 2)
    return s;
  std::vector<double> rates;
  for (std::size_t i = 1; i < v.size(); ++i) {
    const double r = static_cast<double>(v[i].copied - v[i - 1].copied) / (v[i].at - v[i - 1].at);
    rates.push_back(r);
    if (v[i].copied == v[i - 1].copied)
      ++s.stalls;
  }
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = sorted[sorted.size() / 2];
  const std::size_t mid = v.size() / 2;
  const auto rate = [&](std::size_t a, std::size_t b) {
    return b > a ? static_cast<double>(v[b].copied - v[a].copied) / (v[b].at - v[a].at) : 0;
  };
  s.first_half = rate(0, mid);
  s.second_half = rate(mid, v.size() - 1);
  return s;
}

void print_copies(const Options &o, const CopyResult &c) {
  const CopyRun &small = c.runs[0], &large = c.runs[1], &logical = c.runs[2];
  std::printf("#### Initial copy of a shard to a new replica\n\n");
  std::printf("The entries were written on the primary into one shard in %d-row signed INSERTs "
              "(one client) at %s rows/s (%s rows in %s s; signing them in the driver, %d "
              "threads, took another %s s); the same rows went into the publisher's plain table "
              "at %s rows/s. Memory: the largest of the backends involved, sampled every 200 ms "
              "from /proc/PID/status: VmHWM (the kernel's peak resident set, which counts the "
              "shared buffers the backend touched), the largest VmRSS and RssAnon (private memory "
              "only) seen. Primary side: the backend running `add_replica` / the walsender; "
              "replica side: postgres_fdw's session applying the entries / the table sync "
              "worker.\n\n",
              kBulkRows, num(static_cast<double>(large.rows) / large.write_seconds).c_str(),
              num(static_cast<double>(large.rows)).c_str(), fixed(large.write_seconds, 1).c_str(),
              online_cpus(), fixed(large.sign_seconds, 1).c_str(),
              num(static_cast<double>(large.rows) / large.logical_insert_seconds).c_str());
  std::printf("| initial copy | entries | seconds | entries/s | / logical | primary side: VmHWM / "
              "max VmRSS / max RssAnon (MB) | replica side: VmHWM / max VmRSS / max RssAnon (MB) "
              "| CPU s: primary / replica backend | check |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const CopyRun *r : {&logical, &small, &large}) {
    const bool is_logical = r == &logical;
    std::printf("| %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s | %s |\n",
                r->what.c_str(), num(static_cast<double>(r->rows)).c_str(),
                fixed(r->seconds, 1).c_str(), num(r->rate).c_str(),
                r->rows == logical.rows ? fixed(r->rate / logical.rate, 2).c_str() : "",
                mb(r->primary.hwm_kb).c_str(), mb(r->primary.max_rss_kb).c_str(),
                mb(r->primary.max_anon_kb).c_str(), mb(r->replica.hwm_kb).c_str(),
                mb(r->replica.max_rss_kb).c_str(), mb(r->replica.max_anon_kb).c_str(),
                is_logical ? ""
                           : (fixed(r->primary_cpu, 1) + " / " + fixed(r->replica_cpu, 1)).c_str(),
                is_logical ? "subscriber's row count" : "`verify_replica` matches");
  }
  const auto growth = [](long big, long little) {
    return little > 0 ? fixed(static_cast<double>(big) / static_cast<double>(little), 2) : "?";
  };
  std::printf("\nMemory with %s entries against %s (×%s entries): private memory (max RssAnon) "
              "of the primary's backend ×%s, of the replica's backend ×%s; peak resident set "
              "(VmHWM) ×%s and ×%s.\n\n",
              num(static_cast<double>(large.rows)).c_str(),
              num(static_cast<double>(small.rows)).c_str(),
              fixed(static_cast<double>(large.rows) / static_cast<double>(small.rows), 0).c_str(),
              growth(large.primary.max_anon_kb, small.primary.max_anon_kb).c_str(),
              growth(large.replica.max_anon_kb, small.replica.max_anon_kb).c_str(),
              growth(large.primary.hwm_kb, small.primary.hwm_kb).c_str(),
              growth(large.replica.hwm_kb, small.replica.hwm_kb).c_str());

  for (const CopyRun *r : {&large, &small}) {
    const Steadiness s = steadiness(*r);
    std::printf("Progress of the copy of %s entries as `mycelium.replica_copy_progress` showed it "
                "(polled every second from another connection; %zu samples): ",
                num(static_cast<double>(r->rows)).c_str(), r->progress.size());
    if (r->progress.size() < 3) {
      std::printf("too few samples to judge.\n\n");
      continue;
    }
    std::string verdict;
    if (s.stalls > 0)
      verdict = "**stalled** in " + std::to_string(s.stalls) + " interval(s)";
    else if (s.second_half < 0.8 * s.first_half)
      verdict = "**moved every second, but slowed down**: the second half at " +
                fixed(100 * s.second_half / s.first_half, 0) + " % of the first half's rate";
    else if (s.min < 0.5 * s.median)
      verdict = "**moved every second, unevenly**";
    else
      verdict = "**moved steadily**";
    std::printf("per-second rate min %s, median %s, max %s entries/s; first half of the copy "
                "%s/s, second half %s/s; %d second(s) without progress: %s.\n\n",
                num(s.min).c_str(), num(s.median).c_str(), num(s.max).c_str(),
                num(s.first_half).c_str(), num(s.second_half).c_str(), s.stalls, verdict.c_str());
    if (r != &large)
      continue;
    std::printf("| after (s) | copied | total | percent | entries_per_second (the view) | "
                "RssAnon (MB): primary / replica backend |\n|---:|---:|---:|---:|---:|---:|\n");
    const std::size_t n = r->progress.size();
    const std::size_t shown = std::min<std::size_t>(n, 10);
    for (std::size_t k = 0; k < shown; ++k) {
      const ProgressSample &p = r->progress[shown == 1 ? 0 : k * (n - 1) / (shown - 1)];
      // The memory sample nearest before the progress sample (the sampler started just before
      // the copy).
      MemorySampler::Point m;
      for (const MemorySampler::Point &point : r->memory)
        if (point.at <= p.at)
          m = point;
      std::printf("| %s | %s | %s | %s | %s | %s / %s |\n", fixed(p.at, 1).c_str(),
                  num(static_cast<double>(p.copied)).c_str(),
                  num(static_cast<double>(p.total)).c_str(), p.percent.c_str(),
                  p.reported_rate.c_str(), mb(m.anon_kb[0]).c_str(), mb(m.anon_kb[1]).c_str());
    }
    // After the last entry was sent, add_replica still runs (the view no longer lists it): the
    // replica is marked active and the shard's entries synced.
    const double last = r->progress.back().at;
    long tail_anon[2] = {0, 0};
    for (const MemorySampler::Point &point : r->memory)
      if (point.at > last)
        for (int side = 0; side < 2; ++side)
          tail_anon[side] = std::max(tail_anon[side], point.anon_kb[side]);
    std::printf("| %s (`add_replica` returned; the view stopped listing the copy at %s s) | | | "
                "| | %s / %s (largest after the last sample above) |\n",
                fixed(r->seconds, 1).c_str(),
                r->progress_gone_at > 0 ? fixed(r->progress_gone_at, 1).c_str() : "?",
                mb(tail_anon[0]).c_str(), mb(tail_anon[1]).c_str());
    std::printf("\n");
  }
  (void)o;
}

int run(int argc, char **argv) {
  const Options o = parse_options(argc, argv);
  // The primary's database signs its chain links with its node key (mycelium.node_key_file):
  // the driver registers the primary with that same key, given by bench/scale.sh.
  const char *primary_key_file = std::getenv("MYCELIUM_PRIMARY_KEY_FILE");
  Node primary{kPrimaryId, o.primary_port,
               primary_key_file ? mycelium::read_key_file(primary_key_file)
                                : mycelium::SecretKey::generate()};
  Node replica{kReplicaId, o.replica_port, mycelium::SecretKey::generate()};
  const std::vector<const Node *> nodes = {&primary, &replica};

  Connection p(conninfo(o.primary_port, "mycelium"), "mycelium-bench");
  Connection r(conninfo(o.replica_port, "mycelium"), "mycelium-bench");
  std::fprintf(stderr, "setup: %s (port %d) and %s (port %d)\n", kPrimaryId, o.primary_port,
               kReplicaId, o.replica_port);
  setup_mycelium(p, primary, nodes);
  setup_mycelium(r, replica, nodes);
  set_sync_interval(p, "1h"); // the push worker stays out of the way
  // The one-shard baseline of the write phases: another database of the primary's cluster.
  p.scalar("CREATE DATABASE one_shard");
  Connection one(conninfo(o.primary_port, "one_shard"), "mycelium-bench");
  one.scalar("CREATE EXTENSION mycelium");
  one.scalar("SELECT mycelium.set_local_node($1)", {primary.id});
  register_nodes(one, {&primary});

  const std::string pg_version = p.scalar("SHOW server_version");
  const std::string settings =
      "shared_buffers=" + p.scalar("SHOW shared_buffers") + ", fsync=" + p.scalar("SHOW fsync") +
      ", synchronous_commit=" + p.scalar("SHOW synchronous_commit") +
      ", wal_level=" + p.scalar("SHOW wal_level") +
      ", mycelium.push_batch_size=" + p.scalar("SHOW mycelium.push_batch_size");
  const std::string load_before = load_average();
  const auto start = Clock::now();
  const WritesResult writes = measure_writes(o, primary.key, p, one);
  const CopyResult copies = measure_copies(o, primary.key, p);
  const double total = seconds_since(start);
  const std::string load_after = load_average();
  if (r.scalar("SELECT count(*) FROM mycelium.inbox_rejections") != "0")
    throw std::runtime_error("the replica rejected entries");

  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("\n### %s\n\n", date);
  std::printf("Machine: nproc %d, %s; PostgreSQL %s; both clusters: %s, "
              "shared_preload_libraries=mycelium. SHARDS=%d, COPY_ROWS=%s, %s s per write phase; "
              "the measurements took %s s. Load average (1 min) %s before, %s after.\n\n",
              online_cpus(), cpu_model().c_str(), pg_version.c_str(), settings.c_str(), o.shards,
              num(static_cast<double>(o.copy_rows)).c_str(), fixed(o.write_seconds, 0).c_str(),
              num(total).c_str(), load_before.c_str(), load_after.c_str());
  print_writes(o, writes);
  print_copies(o, copies);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mycelium-bench-scale: %s\n", e.what());
    return 1;
  }
}
