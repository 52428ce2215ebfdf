#include "database.hpp"

#include "mycelium/pgclient/connect.hpp"

#include "log.hpp"

#include <chrono>

#include <uv.h>

namespace mycelium::agent {

namespace {
constexpr const char *kCannotConnect = "cannot connect to the database: ";
constexpr const char *kConnectionLost = "lost the connection to the database: ";
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
} // namespace

Rows Session::query(const std::string &sql, const std::vector<std::optional<std::string>> &params) {
  std::vector<const char *> values;
  values.reserve(params.size());
  for (const auto &p : params)
    values.push_back(p ? p->c_str() : nullptr);
  PGresult *res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const std::string message =
        pgclient::one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    std::string sqlstate = state ? state : "";
    PQclear(res);
    throw DbError(sqlstate, message.empty() ? "query failed" : message);
  }
  Rows rows;
  const int n = PQntuples(res), cols = PQnfields(res);
  rows.reserve(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c)
      row.push_back(PQgetisnull(res, r, c) ? std::nullopt
                                           : std::optional<std::string>(PQgetvalue(res, r, c)));
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

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

void Database::submit(std::function<void(Session &)> work,
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
  PGconn *conn = nullptr;
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
      if (!conn || PQstatus(conn) != CONNECTION_OK) {
        if (conn)
          PQfinish(conn);
        conn = nullptr;
        try {
          conn = pgclient::connect(dsn_, "mycelium-agent").release();
        } catch (const pgclient::ConnectError &e) {
          throw DbError("", std::string(kCannotConnect) + e.what());
        }
      }
      Session session(conn);
      job.work(session);
    } catch (const std::exception &e) {
      job.error = e.what();
      // A failed statement inside an explicit transaction leaves it aborted: start clean.
      if (conn && PQtransactionStatus(conn) == PQTRANS_INERROR)
        PQclear(PQexec(conn, "ROLLBACK"));
    }
    job.connected = conn && PQstatus(conn) == CONNECTION_OK;
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
  if (conn)
    PQfinish(conn);
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

void Database::note(const Job &job) {
  Reachability &r = reachability_;
  const std::int64_t now = wall_ms();
  if (job.connected) {
    if (!r.reachable)
      log_info("database reachable again after " + std::to_string(r.failures) + " failed attempt" +
               (r.failures == 1 ? "" : "s") + " over " + std::to_string((now - r.since_ms) / 1000) +
               " s");
    if (!r.reachable || r.since_ms == 0)
      r = Reachability{true, now, 0, {}};
    return;
  }
  if (r.reachable) {
    // The first line of libpq's message: it ends with a newline and may hold a second line.
    std::string error = job.error.value_or("connection lost");
    if (const auto nl = error.find('\n'); nl != std::string::npos)
      error.resize(nl);
    r = Reachability{false, now, 0, error};
    log_warn(error + " (retrying; further failures are counted, not logged)");
  }
  ++r.failures;
}

} // namespace mycelium::agent
