#include "fake_chain_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const std::string &text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw std::runtime_error("fake chain: cannot write to its standard input");
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

FakeChainProcess::FakeChainProcess(const std::string &node, const std::string &script,
                                   const std::string &expected_file, const std::string &tls_dir,
                                   const std::vector<std::string> &extra_args) {
  const std::string cert = tls_dir + "/test-only-cert.pem";
  const std::string key = tls_dir + "/test-only-key.pem";
  std::vector<std::string> args = {node,          script,       "--port", "0",         "--expected",
                                   expected_file, "--tls-cert", cert,     "--tls-key", key};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // Built before fork: the child only calls async-signal-safe functions.
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("fake chain: pipe failed");
  // A broken pipe after the child died is reported by write_all, not by a signal.
  ::signal(SIGPIPE, SIG_IGN);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fake chain: fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    // execvp: `node` is a path found at configure time, or "node" looked up on PATH now.
    ::execvp(node.c_str(), argv.data());
    const char message[] = "fake chain: cannot run node: run scripts/install-deps.sh\n";
    (void)!::write(1, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  // "fake_chain listening on PORT tls TLS_PORT"
  const std::string ready = wait_for("fake_chain listening on ", std::chrono::seconds(30));
  const std::size_t tls = ready.find(" tls ");
  port_ = std::stoi(ready.substr(std::string("fake_chain listening on ").size()));
  if (tls == std::string::npos)
    throw std::runtime_error("fake chain: no TLS port in '" + ready + "'");
  tls_port_ = std::stoi(ready.substr(tls + 5));
}

FakeChainProcess::~FakeChainProcess() {
  if (pid_ > 0) {
    try {
      write_all(to_child_, "stop\n");
    } catch (const std::exception &) {
    }
    ::close(to_child_);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (from_child_ >= 0)
    ::close(from_child_);
}

std::string FakeChainProcess::read_line(Clock::time_point deadline) {
  for (;;) {
    const std::size_t newline = buffered_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      seen_ += line + "\n";
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
      throw std::runtime_error("fake chain: no expected output in time; it printed:\n" + seen_ +
                               buffered_);
    pollfd p{from_child_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;
    char chunk[4096];
    const ssize_t n = ::read(from_child_, chunk, sizeof chunk);
    if (n == 0)
      throw std::runtime_error("fake chain: exited; it printed:\n" + seen_ + buffered_);
    if (n > 0)
      buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string FakeChainProcess::wait_for(const std::string &prefix,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::string line = read_line(deadline);
    if (line.compare(0, prefix.size(), prefix) == 0)
      return line;
    if (line.compare(0, 6, "error ") == 0)
      throw std::runtime_error("fake chain: " + line);
  }
}

std::string FakeChainProcess::command(const std::string &line, const std::string &reply) {
  write_all(to_child_, line + "\n");
  const std::string expected = reply.empty() ? "ok " + line.substr(0, line.find(' ')) : reply;
  return wait_for(expected, std::chrono::seconds(10));
}

int run_with_fake_chain(const std::string &program, const std::string &node,
                        const std::string &tests_dir,
                        const std::function<int(FakeChainProcess &, const std::string &)> &run) {
  const std::filesystem::path dir = tests_dir;
  if (!std::filesystem::exists(dir / "node_modules" / "@polkadot" / "types") ||
      !std::filesystem::exists(dir / "node_modules" / "ws")) {
    std::cerr << program << ": " << (dir / "node_modules").string()
              << " is missing or incomplete: run scripts/install-deps.sh (it installs polkadot-js "
                 "there with npm ci)\n";
    return 1;
  }
  const std::string expected_file =
      (std::filesystem::temp_directory_path() /
       ("mycelium-fake-chain-" + std::to_string(::getpid()) + ".json"))
          .string();
  int status = 1;
  try {
    FakeChainProcess process(node, (dir / "fake_chain.mjs").string(), expected_file,
                             (dir / "tls").string());
    std::ifstream in(expected_file);
    std::stringstream text;
    text << in.rdbuf();
    status = run(process, text.str());
  } catch (const std::exception &e) {
    std::cerr << program << ": " << e.what() << "\n";
  }
  std::filesystem::remove(expected_file);
  return status;
}
