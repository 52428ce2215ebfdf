// How `mycelium` fails: the exit codes and the two exception types main() turns into them.
#pragma once

#include <stdexcept>
#include <string>

namespace mycelium::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // the command ran and failed
inline constexpr int kExitUsage = 2;   // the command line itself is wrong

// A mistake in the command line (exit 2). `command` names the subcommand whose --help to suggest.
class UsageError : public std::runtime_error {
public:
  explicit UsageError(const std::string &message, std::string command = {})
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string &command() const noexcept { return command_; }

private:
  std::string command_;
};

// A runtime failure of the tool (exit 1) other than the core's mycelium::Error, which main()
// reports the same way.
class Failure : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace mycelium::cli
