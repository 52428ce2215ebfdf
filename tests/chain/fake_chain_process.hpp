// tests/chain/fake_chain.mjs as a child process of a test: started with node, driven through its
// standard input, stopped when the object goes.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

class FakeChainProcess {
public:
  // Starts `node script --port 0 --expected expected_file` (with `tls_dir`'s test certificate
  // and key, also a TLS port), then `extra_args` (e.g. --runtime FIXTURE), and waits (up to 30 s)
  // for it to say it listens. Throws std::runtime_error with node's output if it does not.
  FakeChainProcess(const std::string &node, const std::string &script,
                   const std::string &expected_file, const std::string &tls_dir,
                   const std::vector<std::string> &extra_args = {});
  ~FakeChainProcess();
  FakeChainProcess(const FakeChainProcess &) = delete;
  FakeChainProcess &operator=(const FakeChainProcess &) = delete;

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  // Sends a command line and returns the first output line that starts with `reply` (by default
  // "ok <the command's first word>"). Throws if none comes within 10 s or node answers "error".
  std::string command(const std::string &line, const std::string &reply = "");
  // Waits for an output line starting with `prefix` (e.g. "listening again").
  std::string wait_for(const std::string &prefix, std::chrono::milliseconds timeout);

private:
  std::string read_line(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffered_;
  std::string seen_; // everything read, for error messages
  int port_ = 0;
  int tls_port_ = 0;
};

// The main() of a test program whose tests share one fake chain (node takes about two seconds to
// load polkadot-js): checks that `tests_dir`/node_modules has polkadot-js and ws (failing, saying
// to run scripts/install-deps.sh, when not: these tests never skip), starts `node`
// `tests_dir`/fake_chain.mjs, and returns what `run` returns, given the fake and the text of its
// expected-values file. `program` names the tests in messages. Any exception: 1.
int run_with_fake_chain(const std::string &program, const std::string &node,
                        const std::string &tests_dir,
                        const std::function<int(FakeChainProcess &, const std::string &)> &run);
