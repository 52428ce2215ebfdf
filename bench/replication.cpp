// Replication benchmark: how fast does Mycelium push signed rows to a replica (which verifies
// every one of them again), compared with PostgreSQL 15's native logical replication of the same
// rows and with what the machine's cores can verify; and how far behind does a replica stay
// while the primary takes a steady stream of signed single-row writes? Prints a Markdown section
// for bench/RESULTS.md. Run it through bench/replication.sh, which starts the two clusters:
//   primary  database mycelium (extension), database logical_pub (publication)
//   replica  database mycelium (extension), database logical_sub (subscription)
#include "bench_nodes.hpp"
#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"
#include "mycelium/key_file.hpp"
#include "mycelium/signing.hpp"

#include <libpq-fe.h>
#include <sched.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace {

using namespace mycelium::bench;
using mycelium::Bytes;

constexpr std::size_t kVerifyCount = 20000;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// CPU time used so far by a postmaster and every process it started (backends, workers, the
// checkpointer, ...): those running now, and those that ended (the postmaster waits for each).
double cluster_cpu_seconds(int postmaster) {
  const ProcessStat self = process_stat(std::to_string(postmaster));
  double total = self.cpu + self.children_cpu;
  for (const auto &entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const ProcessStat stat = process_stat(name);
    if (stat.parent == postmaster)
      total += stat.cpu;
  }
  return total;
}

// Where the CPU time of a phase went: both clusters, this driver, the whole machine.
class CpuMeter {
public:
  CpuMeter(int primary_postmaster, int replica_postmaster)
      : postmasters_{primary_postmaster, replica_postmaster} {}
  void start() { begin_ = sample(); }
  void stop() {
    const Sample end = sample();
    clusters = end.clusters - begin_.clusters;
    driver = end.driver - begin_.driver;
    machine = end.machine - begin_.machine;
  }
  double clusters = 0, driver = 0, machine = 0;

private:
  struct Sample {
    double clusters = 0, driver = 0, machine = 0;
  };
  Sample sample() const;
  int postmasters_[2];
  Sample begin_;
};

// CPU time the whole machine has spent busy (every core, every process), from /proc/stat.
double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

CpuMeter::Sample CpuMeter::sample() const {
  return {cluster_cpu_seconds(postmasters_[0]) + cluster_cpu_seconds(postmasters_[1]),
          process_cpu_seconds(getpid()), machine_busy_seconds()};
}

// Ed25519 verifications per second on this thread (mycelium::verify), over distinct pre-signed
// put payloads.
double measure_verify_rate(const mycelium::SecretKey &key) {
  std::vector<Bytes> payloads(kVerifyCount);
  std::vector<mycelium::Signature> signatures(kVerifyCount);
  parallel_for(kVerifyCount, [&](std::size_t i) {
    const std::string value = "{\"n\":" + std::to_string(i) + ",\"payload\":\"verify\"}";
    payloads[i] =
        mycelium::put_payload("verify", "verify-" + std::to_string(i), 1, kPrimaryId, value);
    signatures[i] = key.sign(payloads[i]);
  });
  const auto start = Clock::now();
  for (std::size_t i = 0; i < kVerifyCount; ++i)
    if (!mycelium::verify(signatures[i], payloads[i], key.public_key()))
      throw std::runtime_error("verify failed on a freshly signed payload");
  return kVerifyCount / seconds_since(start);
}

// A push_now that runs while the worker is in a round pushing the same shard can wait forever:
// each waits for the other's transaction, one on each node, which neither node's deadlock
// detector sees. The benchmark pushes only while the worker is idle.
void wait_for_idle_worker(Connection &db) {
  wait_until(db,
             "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'mycelium push worker' "
             "AND state = 'active'",
             "0", 60, "the push worker to finish its round");
}

// perf record -a -g while a phase runs (--perf FILE): started before, stopped (SIGINT) after.
class PerfRecording {
public:
  explicit PerfRecording(const std::string &output) {
    if (output.empty())
      return;
    std::vector<std::string> args = {"perf", "record", "-a", "-g", "-q", "-o", output};
    std::vector<char *> argv;
    for (std::string &a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "perf", nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("could not start perf");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000)); // perf's own start-up
  }
  ~PerfRecording() {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGINT);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  PerfRecording(const PerfRecording &) = delete;
  PerfRecording &operator=(const PerfRecording &) = delete;

private:
  pid_t pid_ = 0;
};

struct Options {
  int primary_port = 0, replica_port = 0;
  std::size_t rows = 30000;
  std::vector<int> batch_sizes = {500, 2000};
  double rate = 2000;      // signed writes per second in the lag phase, all clients together
  double duration = 30;    // seconds of the lag phase
  int clients = 4;         // lag phase: writer threads, each with its own shard
  int push_interval = 100; // ms, lag phase
  int poll_ms = 20;        // lag phase: how often the replica is polled
  std::string perf_output;
  int primary_postmaster = 0, replica_postmaster = 0; // found by the driver, for CpuMeter
};

struct SyncRun {
  std::string shard;
  std::size_t rows = 0;
  int batch_size = 0;
  double seconds = 0, rate = 0;
  bool profiled = false;
  // CPU seconds used during the push: the pushing backend on the primary, the backend that
  // applies the entries on the replica (postgres_fdw's session there), both clusters, the whole
  // machine.
  double primary_cpu = 0, replica_cpu = 0, clusters_cpu = 0, machine_cpu = 0;
};

struct Throughput {
  double prewrite_rate = 0; // signed rows/s written on the primary (500-row statements)
  std::vector<SyncRun> runs;
  double logical_seconds = 0, logical_rate = 0, logical_insert_rate = 0;
  double logical_worker_start = 0; // seconds from ENABLE until the apply worker was seen
};

// Phases 2 and 3: N signed rows pushed to the replica by push_now (one shard per batch size),
// then the same rows through native logical replication.
Throughput measure_throughput(const Options &o, const Node &primary, Connection &p, Connection &r) {
  Throughput t;
  // One shard per run: N rows for each batch size, and first a run of N/25 rows, which shows
  // how the rate depends on the number of entries one push carries.
  std::vector<SyncRun> runs;
  if (o.rows / 25 >= 100)
    runs.push_back({"small", o.rows / 25, o.batch_sizes.front()});
  for (int b : o.batch_sizes)
    runs.push_back({"t" + std::to_string(b), o.rows, b});
  std::vector<std::vector<Record>> records;
  std::size_t total = 0;
  for (const SyncRun &run : runs) {
    // Replica added while the shard is empty: the rows written next take the incremental path
    // (the worker is paused, so nothing moves until push_now).
    p.scalar("SELECT mycelium.create_shard($1, replicas => 0)", {run.shard});
    p.scalar("SELECT mycelium.add_replica($1, $2)", {run.shard, kReplicaId});
    total += run.rows;
  }
  std::fprintf(stderr, "throughput: signing %zu rows for %zu shard(s)\n", total, runs.size());
  for (const SyncRun &run : runs)
    records.push_back(sign_records(run.shard, run.rows, primary.key));

  std::fprintf(stderr, "throughput: writing them on the primary (%d-row INSERT statements)\n",
               kBulkRows);
  const auto write_start = Clock::now();
  for (std::size_t s = 0; s < runs.size(); ++s)
    insert_records(p, "mycelium.data", records[s]);
  t.prewrite_rate = static_cast<double>(total) / seconds_since(write_start);
  std::fprintf(stderr, "  %.0f signed rows/s\n", t.prewrite_rate);
  for (const SyncRun &run : runs)
    if (p.scalar("SELECT lag_changes FROM mycelium.push_status WHERE shard_id = $1", {run.shard}) !=
        std::to_string(run.rows))
      throw std::runtime_error("the paused worker pushed rows of " + run.shard + " early");

  bool profile = !o.perf_output.empty(); // the first run of N rows
  for (SyncRun &run : runs) {
    // Every push starts from the same state: nothing dirty, and no dead versions of the shards'
    // rows (each applied entry updates its shard's row) left by the previous push. Not a
    // database-wide VACUUM: its invalidations wake the idle push worker (a catch-up interrupt
    // sets its latch), which then runs a round whatever mycelium.push_interval says.
    for (Connection *db : {&p, &r}) {
      db->scalar("VACUUM mycelium.shards");
      db->scalar("CHECKPOINT");
    }
    if (p.scalar("SELECT lag_changes FROM mycelium.push_status WHERE shard_id = $1", {run.shard}) !=
        std::to_string(run.rows))
      throw std::runtime_error("the push worker pushed " + run.shard + " before push_now");
    wait_for_idle_worker(p);
    Connection pusher(conninfo(o.primary_port, "mycelium"), "mycelium-bench");
    pusher.scalar("SET mycelium.push_batch_size = " + std::to_string(run.batch_size));
    std::string pushed;
    const double primary_cpu = process_cpu_seconds(pusher.backend_pid());
    CpuMeter cpu(o.primary_postmaster, o.replica_postmaster);
    cpu.start();
    {
      run.profiled = profile && run.rows == o.rows;
      profile = profile && !run.profiled;
      PerfRecording perf(run.profiled ? o.perf_output : "");
      const auto start = Clock::now();
      pushed = pusher.scalar("SELECT mycelium.push_now($1)", {run.shard});
      run.seconds = seconds_since(start);
    }
    cpu.stop();
    run.clusters_cpu = cpu.clusters;
    run.machine_cpu = cpu.machine;
    run.primary_cpu = process_cpu_seconds(pusher.backend_pid()) - primary_cpu;
    // The pusher's postgres_fdw connection is the replica's newest mycelium_sync session.
    const std::string applier = r.scalar("SELECT pid FROM pg_stat_activity WHERE usename = "
                                         "'mycelium_sync' ORDER BY backend_start DESC LIMIT 1");
    run.replica_cpu = applier.empty() ? 0 : process_cpu_seconds(std::stoi(applier));
    run.rate = static_cast<double>(run.rows) / run.seconds;
    std::fprintf(stderr,
                 "  push_now('%s'), push_batch_size=%d: %s entries in %.2f s = %.0f/s (CPU s: "
                 "pushing backend %.2f, applying backend %.2f, both clusters %.2f, machine "
                 "%.2f)\n",
                 run.shard.c_str(), run.batch_size, pushed.c_str(), run.seconds, run.rate,
                 run.primary_cpu, run.replica_cpu, run.clusters_cpu, run.machine_cpu);
    if (run.profiled) {
      const std::string replica_pid =
          r.scalar("SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE usename = "
                   "'mycelium_sync'");
      std::ofstream(o.perf_output + ".pids")
          << "primary=" << pusher.backend_pid() << "\nreplica=" << replica_pid << "\n";
    }
    if (pushed != std::to_string(run.rows))
      throw std::runtime_error(
          "push_now pushed " + pushed + " entries, expected " + std::to_string(run.rows) + ": " +
          p.scalar("SELECT string_agg(format('%s pushed %s at %s (now %s), lag %s, error %s', "
                   "shard_id, last_pushed_seq, pushed_at, now(), lag_changes, last_error), '; ') "
                   "FROM mycelium.push_status"));
    const auto check = p.query("SELECT local_records, remote_records, match FROM "
                               "mycelium.verify_replica($1, $2)",
                               {run.shard, kReplicaId});
    if (check.empty() || check[0][1] != std::to_string(run.rows) || check[0][2] != "t")
      throw std::runtime_error("the replica of " + run.shard + " does not match its primary");
    t.runs.push_back(run);
  }
  const std::vector<Record> &baseline_records = records.back();
  if (r.scalar("SELECT count(*) FROM mycelium.inbox_rejections") != "0")
    throw std::runtime_error("the replica rejected entries");

  // Native logical replication of the same rows (those of the last shard), into a plain table
  // with the same columns. The subscription starts streaming with an empty table
  // (copy_data = false), is disabled while the publisher takes the rows in the same 500-row
  // transactions, and is timed from ENABLE until the subscriber holds all N rows.
  std::fprintf(stderr, "logical replication: %zu rows\n", o.rows);
  Connection pub(conninfo(o.primary_port, "logical_pub"), "mycelium-bench");
  Connection sub(conninfo(o.replica_port, "logical_sub"), "mycelium-bench");
  sub.scalar("SET client_min_messages = warning"); // no NOTICEs about the slot
  const std::string table = "CREATE TABLE bench_data (key text NOT NULL, value jsonb NOT NULL, "
                            "version integer NOT NULL, created_by text NOT NULL, "
                            "signature text NOT NULL, shard_id text NOT NULL, "
                            "PRIMARY KEY (shard_id, key))";
  pub.scalar(table);
  sub.scalar(table);
  pub.scalar("CREATE PUBLICATION bench_pub FOR TABLE bench_data");
  sub.scalar("CREATE SUBSCRIPTION bench_sub CONNECTION '" +
             conninfo(o.primary_port, "logical_pub") +
             "' PUBLICATION bench_pub WITH (copy_data = false)");
  const std::string worker_running =
      "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'bench_sub' AND pid IS NOT NULL";
  wait_until(sub, worker_running, "1", 30, "the subscription's apply worker");
  const auto worker_started = Clock::now();
  sub.scalar("ALTER SUBSCRIPTION bench_sub DISABLE");
  wait_until(sub, worker_running, "0", 30, "the apply worker to stop");
  const auto insert_start = Clock::now();
  insert_records(pub, "bench_data", baseline_records);
  t.logical_insert_rate = static_cast<double>(o.rows) / seconds_since(insert_start);
  pub.scalar("CHECKPOINT");
  sub.scalar("CHECKPOINT");
  // The launcher starts no apply worker within wal_retrieve_retry_interval of its last start:
  // wait that out, so that the time measured is replication, not the launcher's throttle.
  const double retry = std::stod(sub.scalar("SELECT setting FROM pg_settings WHERE name = "
                                            "'wal_retrieve_retry_interval'")) /
                       1000;
  std::this_thread::sleep_until(worker_started + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(retry + 0.5)));
  const auto start = Clock::now();
  sub.scalar("ALTER SUBSCRIPTION bench_sub ENABLE");
  sub.prepare("progress", "SELECT (SELECT count(*) FROM bench_data), (" + worker_running + ")");
  for (bool seen = false;;) {
    const auto row = sub.query("EXECUTE progress").at(0);
    if (!seen && row[1] == "1") {
      seen = true;
      t.logical_worker_start = seconds_since(start);
    }
    if (row[0] == std::to_string(o.rows))
      break;
    if (seconds_since(start) > 600)
      throw std::runtime_error("the subscriber did not receive every row within 600 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  t.logical_seconds = seconds_since(start);
  t.logical_rate = static_cast<double>(o.rows) / t.logical_seconds;
  std::fprintf(stderr,
               "  %zu rows in %.2f s = %.0f rows/s (apply worker up after %.2f s; the publisher "
               "took the rows at %.0f rows/s)\n",
               o.rows, t.logical_seconds, t.logical_rate, t.logical_worker_start,
               t.logical_insert_rate);
  // Its slot would otherwise keep decoding the primary's WAL during the lag phase.
  sub.scalar("DROP SUBSCRIPTION bench_sub");
  return t;
}

double percentile(const std::vector<double> &sorted, double p) {
  if (sorted.empty())
    return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

struct Lag {
  std::uint64_t rows = 0;
  double write_seconds = 0, achieved_rate = 0;
  double latency_p50 = 0, latency_p99 = 0; // of one put, on the primary
  double max_behind = 0;                   // how late the last put started against its slot
  std::vector<double> lags;                // sorted, seconds
  std::uint64_t deliveries = 0;            // times a replica's head was seen to move
  double drain_seconds = 0;                // after the last write, until the replica caught up
  std::string batch_size;
  double solo_rate = 0, solo_seconds = 0, solo_p50 = 0; // unpaced, shards without a replica
  double solo_clusters_cpu = 0, solo_machine_cpu = 0;
  // CPU seconds while the writers ran (and the replica caught up): the writers' backends, the
  // push worker, the replica's backend that applies its pushes, the whole machine.
  double writers_cpu = 0, worker_cpu = 0, replica_cpu = 0, cpu_window = 0;
  double clusters_cpu = 0, driver_cpu = 0, machine_cpu = 0;
};

struct Writes {
  std::vector<std::vector<Clock::time_point>> committed; // per writer, per put: its return
  std::vector<double> latencies;                         // of every put, sorted
  double max_behind = 0; // how late the latest put started against its schedule
  Clock::time_point last_commit;
  std::uint64_t rows = 0;
  double seconds = 0, rate = 0; // from the first slot to the last commit
  double writers_cpu = 0;       // CPU seconds of the writers' backends
  // The writers' connections, kept open so that their backends count in a CpuMeter until the
  // caller is done.
  std::vector<std::unique_ptr<Connection>> conns;
};

// One writer thread per shard, each with its own connection, writing its records as signed
// single-row puts (autocommit) for `duration` seconds. Paced (rate > 0): put i of writer c is due
// at t0 + (i * writers + c) / rate, and a late writer does not skip, it sends the next put at
// once. Unpaced (rate 0): as fast as each writer can, until its records run out.
Writes run_writers(const Options &o, const std::vector<std::string> &shards,
                   const std::vector<std::vector<Record>> &records, double rate, double duration) {
  const int clients = static_cast<int>(shards.size());
  Writes w;
  w.committed.resize(clients);
  std::vector<std::vector<double>> latencies(clients);
  std::vector<double> behind(clients, 0);
  std::vector<std::exception_ptr> errors(clients);
  std::vector<std::unique_ptr<Connection>> &conns = w.conns;
  for (int c = 0; c < clients; ++c) {
    conns.push_back(
        std::make_unique<Connection>(conninfo(o.primary_port, "mycelium"), "mycelium-bench"));
    conns.back()->prepare("put", "SELECT mycelium.put($1, $2, $3::jsonb, 1, $4, $5)");
  }
  double cpu_before = 0;
  for (const auto &conn : conns)
    cpu_before += process_cpu_seconds(conn->backend_pid());
  const auto t0 = Clock::now() + std::chrono::milliseconds(200);
  const auto after = [&](double seconds) {
    return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  const auto end = after(duration);
  std::vector<std::thread> writers;
  for (int c = 0; c < clients; ++c)
    writers.emplace_back([&, c] {
      try {
        w.committed[c].reserve(records[c].size());
        std::this_thread::sleep_until(t0);
        for (std::size_t i = 0; i < records[c].size(); ++i) {
          const auto due = rate > 0 ? after(static_cast<double>(i * clients + c) / rate) : t0;
          if (due >= end)
            break;
          std::this_thread::sleep_until(due);
          const auto sent = Clock::now();
          if (sent >= end)
            break;
          if (rate > 0)
            behind[c] = std::max(behind[c], seconds_between(due, sent));
          const Record &r = records[c][i];
          const char *values[5] = {shards[c].c_str(), r.key.c_str(), r.value.c_str(), kPrimaryId,
                                   r.signature.c_str()};
          conns[c]->exec_prepared("put", 5, values);
          const auto done = Clock::now();
          w.committed[c].push_back(done);
          latencies[c].push_back(seconds_between(sent, done));
        }
      } catch (...) {
        errors[c] = std::current_exception();
      }
    });
  for (std::thread &t : writers)
    t.join();
  for (const std::exception_ptr &e : errors)
    if (e)
      std::rethrow_exception(e);
  w.last_commit = t0;
  for (int c = 0; c < clients; ++c) {
    if (!w.committed[c].empty())
      w.last_commit = std::max(w.last_commit, w.committed[c].back());
    w.rows += w.committed[c].size();
    w.latencies.insert(w.latencies.end(), latencies[c].begin(), latencies[c].end());
    w.max_behind = std::max(w.max_behind, behind[c]);
  }
  std::sort(w.latencies.begin(), w.latencies.end());
  for (const auto &conn : conns)
    w.writers_cpu += process_cpu_seconds(conn->backend_pid());
  w.writers_cpu -= cpu_before;
  w.seconds = seconds_between(t0, w.last_commit);
  w.rate = static_cast<double>(w.rows) / w.seconds;
  return w;
}

// Phase 4: `clients` threads each write signed single-row puts to their own shard, paced so
// that together they make `rate` writes/s, for `duration` seconds, while the push worker runs
// every `push_interval` ms. A poller reads the replica's chain heads every `poll_ms` ms; a row
// has arrived once its shard's head on the replica reaches the row's seq. Its lag is the time
// from the return of its commit on the primary to the end of the first poll that saw it there.
Lag measure_lag(const Options &o, const Node &primary, Connection &p) {
  const int clients = o.clients;
  std::vector<std::string> shards;
  for (int c = 0; c < clients; ++c) {
    shards.push_back("lag" + std::to_string(c));
    p.scalar("SELECT mycelium.create_shard($1, replicas => 0)", {shards.back()});
    p.scalar("SELECT mycelium.add_replica($1, $2)", {shards.back(), kReplicaId});
  }
  const auto per_client = static_cast<std::size_t>(o.rate * o.duration / clients + 1);
  std::fprintf(stderr, "lag: signing %zu rows for each of %d writer(s)\n", per_client, clients);
  std::vector<std::vector<Record>> records;
  for (const std::string &shard : shards)
    records.push_back(sign_records(shard, per_client, primary.key));

  // First what the primary does alone: the same writers, unpaced, into shards without replicas
  // (the worker still paused).
  Lag lag;
  {
    constexpr double kSoloSeconds = 5;
    std::vector<std::string> solo;
    std::vector<std::vector<Record>> solo_records;
    const auto count =
        static_cast<std::size_t>(std::max(2 * o.rate, 4000.0) * kSoloSeconds / clients);
    for (int c = 0; c < clients; ++c) {
      solo.push_back("solo" + std::to_string(c));
      p.scalar("SELECT mycelium.create_shard($1, replicas => 0)", {solo.back()});
      solo_records.push_back(sign_records(solo.back(), count, primary.key));
    }
    p.scalar("CHECKPOINT");
    CpuMeter cpu(o.primary_postmaster, o.replica_postmaster);
    cpu.start();
    const Writes w = run_writers(o, solo, solo_records, 0, kSoloSeconds);
    cpu.stop();
    lag.solo_clusters_cpu = cpu.clusters;
    lag.solo_machine_cpu = cpu.machine;
    lag.solo_rate = w.rate;
    lag.solo_seconds = w.seconds;
    lag.solo_p50 = percentile(w.latencies, 0.5);
    std::fprintf(stderr,
                 "  primary alone, unpaced, no replica: %" PRIu64 " puts in %.1f s = %.0f/s\n",
                 w.rows, w.seconds, w.rate);
  }
  p.scalar("CHECKPOINT");
  set_sync_interval(p, std::to_string(o.push_interval) + "ms");
  lag.batch_size = p.scalar("SHOW mycelium.push_batch_size");
  std::fprintf(stderr, "lag: %.0f signed puts/s for %.0f s, push_interval %d ms\n", o.rate,
               o.duration, o.push_interval);

  // The poller: (time, head) each time a shard's head on the replica moves.
  struct Sample {
    Clock::time_point at;
    std::int64_t head;
  };
  std::vector<std::vector<Sample>> samples(clients);
  std::vector<std::int64_t> targets(clients, -1); // set once the writers are done
  std::atomic<bool> writers_done{false}, poller_stop{false}, poller_done{false};
  std::exception_ptr poller_error;
  Clock::time_point caught_up;
  std::thread poller([&] {
    try {
      Connection replica(conninfo(o.replica_port, "mycelium"), "mycelium-bench");
      replica.prepare("heads", "SELECT shard_id, head_seq FROM mycelium.shards "
                               "WHERE shard_id LIKE 'lag%' AND kind = 'replica'");
      std::vector<std::int64_t> last(clients, 0);
      auto next = Clock::now();
      while (!poller_stop) {
        const auto result = replica.query("EXECUTE heads");
        const auto at = Clock::now();
        for (const auto &row : result) {
          const int c = std::stoi(row[0].value_or("").substr(3));
          const std::int64_t head = std::stoll(row[1].value_or("0"));
          if (c >= 0 && c < clients && head != last[c]) {
            samples[c].push_back({at, head});
            last[c] = head;
          }
        }
        if (writers_done) {
          bool all = true;
          for (int c = 0; c < clients; ++c)
            all = all && last[c] >= targets[c];
          if (all) {
            caught_up = at;
            break;
          }
        }
        next += std::chrono::milliseconds(o.poll_ms);
        std::this_thread::sleep_until(next);
      }
    } catch (...) {
      poller_error = std::current_exception();
    }
    poller_done = true;
  });

  const std::string worker =
      p.scalar("SELECT pid FROM pg_stat_activity WHERE backend_type = 'mycelium push worker'");
  const double worker_cpu = worker.empty() ? 0 : process_cpu_seconds(std::stoi(worker));
  CpuMeter cpu(o.primary_postmaster, o.replica_postmaster);
  cpu.start();
  const auto window_start = Clock::now();
  const Writes w = run_writers(o, shards, records, o.rate, o.duration);
  for (int c = 0; c < clients; ++c)
    targets[c] = static_cast<std::int64_t>(w.committed[c].size());
  writers_done = true;
  // The poller ends once the replica holds every row; it is given a minute.
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  while (!poller_done && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  poller_stop = true;
  poller.join();
  if (poller_error)
    std::rethrow_exception(poller_error);
  lag.cpu_window = seconds_since(window_start);
  cpu.stop();
  lag.clusters_cpu = cpu.clusters;
  lag.driver_cpu = cpu.driver;
  lag.machine_cpu = cpu.machine;
  lag.worker_cpu = worker.empty() ? 0 : process_cpu_seconds(std::stoi(worker)) - worker_cpu;
  lag.writers_cpu = w.writers_cpu;
  {
    // The worker's postgres_fdw session on the replica, opened by its first push in this phase.
    Connection replica(conninfo(o.replica_port, "mycelium"), "mycelium-bench");
    const std::string applier =
        replica.scalar("SELECT pid FROM pg_stat_activity WHERE usename = "
                       "'mycelium_sync' ORDER BY backend_start DESC LIMIT 1");
    lag.replica_cpu = applier.empty() ? 0 : process_cpu_seconds(std::stoi(applier));
  }
  set_sync_interval(p, "1h");

  lag.rows = w.rows;
  lag.write_seconds = w.seconds;
  lag.achieved_rate = w.rate;
  lag.latency_p50 = percentile(w.latencies, 0.50);
  lag.latency_p99 = percentile(w.latencies, 0.99);
  lag.max_behind = w.max_behind;
  for (int c = 0; c < clients; ++c)
    lag.deliveries += samples[c].size();

  // Each row's seq on the primary (rows of a shard commit in seq order, but the key tells).
  for (int c = 0; c < clients; ++c) {
    if (samples[c].empty() || samples[c].back().head < targets[c])
      throw std::runtime_error("the replica of " + shards[c] + " did not catch up within 60 s");
    const auto seqs =
        p.query("SELECT key, seq FROM mycelium.audit_log WHERE shard_id = $1", {shards[c]});
    if (seqs.size() != w.committed[c].size())
      throw std::runtime_error("shard " + shards[c] + " holds " + std::to_string(seqs.size()) +
                               " entries, expected " + std::to_string(w.committed[c].size()));
    for (const auto &row : seqs) {
      const std::size_t i = std::stoul(row[0].value_or("").substr(1));
      const std::int64_t seq = std::stoll(row[1].value_or("0"));
      const auto arrived =
          std::lower_bound(samples[c].begin(), samples[c].end(), seq,
                           [](const Sample &s, std::int64_t value) { return s.head < value; });
      lag.lags.push_back(seconds_between(w.committed[c].at(i), arrived->at));
    }
  }
  if (lag.lags.empty())
    throw std::runtime_error("no row was written in the lag phase");
  std::sort(lag.lags.begin(), lag.lags.end());
  lag.drain_seconds = seconds_between(w.last_commit, caught_up);
  std::fprintf(stderr,
               "  %" PRIu64 " puts in %.1f s = %.0f/s; replica lag p50 %.0f ms, p99 %.0f ms, "
               "max %.0f ms\n",
               lag.rows, lag.write_seconds, lag.achieved_rate, 1000 * percentile(lag.lags, 0.5),
               1000 * percentile(lag.lags, 0.99), 1000 * lag.lags.back());
  return lag;
}

std::string ms(double seconds) {
  return num(1000 * seconds) + " ms";
}

Options parse_options(int argc, char **argv) {
  Options o;
  const auto usage = [] {
    return std::runtime_error(
        "usage: mycelium-bench-replication --primary-port PORT --replica-port PORT [--rows N] "
        "[--batch-sizes 500,2000] [--rate WRITES_PER_S] [--duration S] [--clients N] "
        "[--sync-interval MS] [--poll MS] [--perf FILE]\nrun it through bench/replication.sh");
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
    else if (arg == "--rows")
      o.rows = static_cast<std::size_t>(option_number(value, 1));
    else if (arg == "--rate")
      o.rate = option_number(value, 1);
    else if (arg == "--duration")
      o.duration = option_number(value, 1);
    else if (arg == "--clients")
      o.clients = static_cast<int>(option_number(value, 1));
    else if (arg == "--sync-interval")
      o.push_interval = static_cast<int>(option_number(value, 10));
    else if (arg == "--poll")
      o.poll_ms = static_cast<int>(option_number(value, 1));
    else if (arg == "--perf")
      o.perf_output = value;
    else if (arg == "--batch-sizes") {
      o.batch_sizes.clear();
      for (std::size_t start = 0; start <= value.size();) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos)
          comma = value.size();
        o.batch_sizes.push_back(
            static_cast<int>(option_number(value.substr(start, comma - start), 1)));
        start = comma + 1;
      }
    } else
      throw usage();
  }
  if (o.primary_port == 0 || o.replica_port == 0)
    throw usage();
  if (o.clients > 9)
    throw std::runtime_error("--clients: at most 9");
  return o;
}

int run(int argc, char **argv) {
  Options o = parse_options(argc, argv);
  // The primary's database signs its chain links with its node key (mycelium.node_key_file):
  // the driver registers the primary with that same key, given by bench/replication.sh.
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
  o.primary_postmaster = postmaster_of(p);
  o.replica_postmaster = postmaster_of(r);
  // The worker is paused until the lag phase: push_now alone pushes.
  set_sync_interval(p, "1h");

  const std::string pg_version = p.scalar("SHOW server_version");
  const std::string settings = "shared_buffers=" + p.scalar("SHOW shared_buffers") +
                               ", fsync=" + p.scalar("SHOW fsync") +
                               ", synchronous_commit=" + p.scalar("SHOW synchronous_commit") +
                               ", wal_level=" + p.scalar("SHOW wal_level");

  std::fprintf(stderr, "verify rate: %zu distinct payloads on one thread\n", kVerifyCount);
  const double verify_rate = measure_verify_rate(primary.key);
  const int cores = online_cpus();
  const double cores_verify = cores * verify_rate;
  std::fprintf(stderr, "  %.0f verifications/s x %d cores = %.0f/s\n", verify_rate, cores,
               cores_verify);

  const std::string load_before = load_average();
  const Throughput t = measure_throughput(o, primary, p, r);
  const Lag lag = measure_lag(o, primary, p);
  const std::string load_after = load_average();

  // The report.
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::printf("\n### %s\n\n", date);
  std::printf("Machine: nproc %d, %s; PostgreSQL %s; both clusters: %s, "
              "shared_preload_libraries=mycelium. Load average (1 min) %s before the "
              "measurements, %s after.\n\n",
              cores, cpu_model().c_str(), pg_version.c_str(), settings.c_str(), load_before.c_str(),
              load_after.c_str());
  const double bound = std::min(t.logical_rate, cores_verify);
  const double target = 0.8 * bound;
  std::printf("| replication | rows | seconds | rows/s | / logical | target | result | CPU s: "
              "pushing / applying backend / both clusters / machine |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---|---:|\n");
  std::printf("| cores x verify rate (%d x %s/s, `mycelium::verify`) | | | %s | %s | | | |\n",
              cores, num(verify_rate).c_str(), num(cores_verify).c_str(),
              fixed(cores_verify / t.logical_rate, 2).c_str());
  std::printf("| native logical replication (ENABLE → subscriber has every row; apply worker up "
              "after %s s) | %s | %s | %s | 1.00 | | | |\n",
              fixed(t.logical_worker_start, 2).c_str(), num(static_cast<double>(o.rows)).c_str(),
              fixed(t.logical_seconds, 2).c_str(), num(t.logical_rate).c_str());
  for (const SyncRun &s : t.runs)
    std::printf("| mycelium `push_now`, push_batch_size=%d%s | %s | %s | %s | %s | %s | %s (%s %% "
                "of target) | %s / %s / %s / %s |\n",
                s.batch_size, s.profiled ? " (under perf record)" : "",
                num(static_cast<double>(s.rows)).c_str(), fixed(s.seconds, 2).c_str(),
                num(s.rate).c_str(), fixed(s.rate / t.logical_rate, 2).c_str(), num(target).c_str(),
                s.rate >= target ? "**met**" : "**not met**",
                fixed(100 * s.rate / target, 0).c_str(), fixed(s.primary_cpu, 1).c_str(),
                fixed(s.replica_cpu, 1).c_str(), fixed(s.clusters_cpu, 1).c_str(),
                fixed(s.machine_cpu, 1).c_str());
  std::printf("\nTarget: 0.8 x min(logical replication, cores x verify rate) = 0.8 x %s = %s "
              "rows/s. On the primary the same rows were written at %s signed rows/s (%d-row "
              "INSERTs into mycelium.data); the publisher took them at %s rows/s.\n\n",
              num(bound).c_str(), num(target).c_str(), num(t.prewrite_rate).c_str(), kBulkRows,
              num(t.logical_insert_rate).c_str());

  const double p99 = percentile(lag.lags, 0.99);
  std::printf("| lag under load | value |\n|---|---:|\n");
  std::printf("| signed single-row puts, target rate | %s/s (%d writers, one shard each) |\n",
              num(o.rate).c_str(), o.clients);
  std::printf("| achieved on the primary | %s/s (%s puts in %s s; %s) |\n",
              num(lag.achieved_rate).c_str(), num(static_cast<double>(lag.rows)).c_str(),
              fixed(lag.write_seconds, 1).c_str(),
              lag.achieved_rate >= 0.98 * o.rate ? "sustained" : "**not sustained**");
  std::printf("| for comparison: the same %d writers unpaced, shards without a replica, worker "
              "paused | %s/s over %s s (put latency p50 %s ms; CPU s: both clusters %s, machine "
              "%s) |\n",
              o.clients, num(lag.solo_rate).c_str(), fixed(lag.solo_seconds, 1).c_str(),
              fixed(1000 * lag.solo_p50, 2).c_str(), fixed(lag.solo_clusters_cpu, 1).c_str(),
              fixed(lag.solo_machine_cpu, 1).c_str());
  std::printf("| put latency on the primary p50 / p99 | %s / %s ms |\n",
              fixed(1000 * lag.latency_p50, 2).c_str(), fixed(1000 * lag.latency_p99, 2).c_str());
  std::printf("| latest start of a put behind its schedule | %s |\n", ms(lag.max_behind).c_str());
  std::printf("| mycelium.push_interval / push_batch_size (worker) | %d ms / %s |\n",
              o.push_interval, lag.batch_size.c_str());
  std::printf("| replica lag p50 | %s |\n", ms(percentile(lag.lags, 0.50)).c_str());
  std::printf("| replica lag p95 | %s |\n", ms(percentile(lag.lags, 0.95)).c_str());
  std::printf("| replica lag p99 | **%s** |\n", ms(p99).c_str());
  std::printf("| replica lag max | %s |\n", ms(lag.lags.back()).c_str());
  std::printf(
      "| deliveries seen (head moves) / rows per delivery | %s / %s |\n",
      num(static_cast<double>(lag.deliveries)).c_str(),
      fixed(static_cast<double>(lag.rows) / std::max<std::uint64_t>(lag.deliveries, 1), 0).c_str());
  std::printf("| replica caught up after the last write | %s |\n", ms(lag.drain_seconds).c_str());
  std::printf("| CPU s in those %s s (of %s available): writers' backends / push worker / "
              "replica's applying backend / both clusters in all / this driver / whole machine | "
              "%s / %s / %s / %s / %s / %s |\n",
              fixed(lag.cpu_window, 1).c_str(), fixed(cores * lag.cpu_window, 1).c_str(),
              fixed(lag.writers_cpu, 1).c_str(), fixed(lag.worker_cpu, 1).c_str(),
              fixed(lag.replica_cpu, 1).c_str(), fixed(lag.clusters_cpu, 1).c_str(),
              fixed(lag.driver_cpu, 1).c_str(), fixed(lag.machine_cpu, 1).c_str());
  std::printf("| target: p99 < 1 s at %s writes/s | %s |\n", num(o.rate).c_str(),
              p99 < 1.0 && lag.achieved_rate >= 0.98 * o.rate ? "**met**"
              : p99 < 1.0 ? "p99 met, but the rate was not sustained"
                          : "**not met**");
  std::printf("\nLag of a row: from the return of its commit on the primary (client clock) to the "
              "end of the first poll of the replica (every %d ms) that found its seq there.\n",
              o.poll_ms);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mycelium-bench-replication: %s\n", e.what());
    return 1;
  }
}
