// The agent's database access: one libpq connection (pgclient) on a thread of its own, so the
// event loop never blocks on PostgreSQL. Only NodeStore submits work; it holds the SQL. Work is
// queued as functions run on that thread; their results come back to the loop thread through a
// uv_async handle.
#pragma once

#include "failure_episode.hpp"

#include "mycelium/pgclient/connection.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

typedef struct uv_loop_s uv_loop_t;
typedef struct uv_async_s uv_async_t;

namespace mycelium::agent {

class Database {
public:
  Database(uv_loop_t *loop, std::string dsn);
  ~Database();
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;

  // Runs `work` on the database thread (reconnecting first if needed), then `done` on the loop
  // thread with the error message if it failed (nullopt on success).
  // Statements inside `work` throw pgclient::Error; its text becomes the error.
  void submit(std::function<void(pgclient::Connection &)> work,
              std::function<void(const std::optional<std::string> &error)> done);
  // Stops the thread after the queued work; pending `done` callbacks are dropped.
  void stop();

  // Whether the last job found the database reachable, since when (Unix ms), and the first
  // failure's message. Changes are logged once each ("unreachable", "reachable again after N
  // failed attempts"); the failures in between are counted, not logged. Loop thread only.
  struct Reachability {
    bool reachable = true;
    std::int64_t since_ms = 0;
    std::uint64_t failures = 0;
    std::string error;
  };
  const Reachability &reachability() const { return reachability_; }
  // Whether an error a job reported is the database being unreachable (already logged once).
  static bool is_unreachable(const std::string &error);

private:
  struct Job {
    std::function<void(pgclient::Connection &)> work;
    std::function<void(const std::optional<std::string> &)> done;
    std::optional<std::string> error;
    bool connected = true; // the connection was up after the job
  };
  void run();
  static void on_async(uv_async_t *handle);
  void note(const Job &job);

  std::string dsn_;
  uv_async_t *async_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::deque<Job> finished_;
  bool stopping_ = false;
  std::thread thread_;
  Reachability reachability_;
  FailureEpisode outage_; // the database unreachable: logged when it starts and when it ends
};

} // namespace mycelium::agent
