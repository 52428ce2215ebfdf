#include "database.hpp"

#include "log.hpp"

#include <chrono>

#include <uv.h>

namespace mycelium::agent {

namespace {
constexpr const char *kCannotConnect = "cannot connect to the database: ";
constexpr const char *kConnectionLost = "lost the connection to the database: ";
// A failed statement as one log line: the server's message, code, detail and hint.
std::string error_text(const pgclient::Error &e) {
  std::string text = pgclient::one_line(e.what());
  if (!e.sqlstate().empty())
    text += " (SQLSTATE " + e.sqlstate() + ")";
  if (!e.detail().empty())
    text += "; " + pgclient::one_line(e.detail());
  if (!e.hint().empty())
    text += "; hint: " + pgclient::one_line(e.hint());
  return text;
}
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
} // namespace

Database::Database(uv_loop_t *loop, std::string dsn) : dsn_(std::move(dsn)) {
  async_ = new uv_async_t;
  async_->data = this;
  uv_async_init(loop, async_, &Database::on_async);
  thread_ = std::thread([this] { run(); });
}

Database::~Database() {
  stop();
}

void Database::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (async_) {
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t *>(async_),
             [](uv_handle_t *h) { delete reinterpret_cast<uv_async_t *>(h); });
    async_ = nullptr;
  }
}

void Database::submit(std::function<void(pgclient::Connection &)> work,
                      std::function<void(const std::optional<std::string> &)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_)
      return;
    queue_.push_back(Job{std::move(work), std::move(done), std::nullopt});
  }
  wake_.notify_one();
}

void Database::run() {
  std::unique_ptr<pgclient::Connection> conn;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      if (!conn || !conn->ok()) {
        conn.reset();
        try {
          conn = std::make_unique<pgclient::Connection>(dsn_, "mycelium-agent");
        } catch (const pgclient::ConnectError &e) {
          throw std::runtime_error(std::string(kCannotConnect) + e.what());
        }
      }
      job.work(*conn);
    } catch (const pgclient::Error &e) {
      job.error = error_text(e);
    } catch (const std::exception &e) {
      job.error = e.what();
    }
    // A job that failed inside its transaction (a statement refused, or its own code threw
    // between statements) leaves the block open or aborted: the next job starts clean.
    if (job.error && conn && conn->ok() && conn->in_transaction())
      conn->rollback();
    job.connected = conn && conn->ok();
    // A job that lost the connection failed because the database went away, whatever the
    // statement was: said so, so that callers leave the logging to note() (once).
    if (!job.connected && job.error && !is_unreachable(*job.error))
      job.error = kConnectionLost + *job.error;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_.push_back(std::move(job));
    }
    uv_async_send(async_);
  }
}

void Database::on_async(uv_async_t *handle) {
  auto *self = static_cast<Database *>(handle->data);
  if (!self)
    return;
  std::deque<Job> done;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    done.swap(self->finished_);
  }
  for (Job &job : done) {
    self->note(job);
    if (job.done)
      job.done(job.error);
  }
}

bool Database::is_unreachable(const std::string &error) {
  return error.rfind(kCannotConnect, 0) == 0 || error.rfind(kConnectionLost, 0) == 0;
}

// An outage is one episode (failure_episode.hpp): its first failure is logged, later ones are
// counted, even when their text differs (a database restarting says several things on its way
// up); its end is logged with the count and the duration.
void Database::note(const Job &job) {
  const std::int64_t now = wall_ms();
  if (job.connected) {
    const std::int64_t down_since = outage_.started_ms();
    if (const long long n = outage_.succeeded())
      log_info("database reachable again after " + std::to_string(n) + " failed attempt" +
               (n == 1 ? "" : "s") + " over " + std::to_string((now - down_since) / 1000) + " s");
    if (!reachability_.reachable || reachability_.since_ms == 0)
      reachability_ = Reachability{true, now, 0, {}};
    return;
  }
  // The first line of libpq's message: it ends with a newline and may hold a second line.
  std::string error = job.error.value_or("connection lost");
  if (const auto nl = error.find('\n'); nl != std::string::npos)
    error.resize(nl);
  if (outage_.failed(error, now) == FailureEpisode::News::started)
    log_warn(error + " (retrying; further failures are counted, not logged)");
  reachability_ =
      Reachability{false, outage_.started_ms(), static_cast<std::uint64_t>(outage_.failures()),
                   outage_.first_detail()};
}

} // namespace mycelium::agent
