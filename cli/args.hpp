// Command-line parsing for `mycelium`: each subcommand declares its options once, and the parser,
// the checks for required options and the --help text are all derived from that declaration, so
// the help can never disagree with what is accepted.
#pragma once

#include "failure.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mycelium::cli {

struct OptionSpec {
  std::string_view name;       // without the leading "--"
  std::string_view value_name; // empty for a flag, which takes no value
  bool required;
  std::string_view help;
};

class Options;

struct CommandSpec {
  std::string_view name;
  std::string_view summary;     // one line, for `mycelium --help`
  std::string_view description; // paragraphs, for `mycelium NAME --help`
  std::vector<OptionSpec> options;
  int (*run)(const Options &);
};

// The options of one subcommand after parsing.
class Options {
public:
  explicit Options(const CommandSpec &spec) : spec_(&spec) {}

  const CommandSpec &command() const { return *spec_; }
  // A required option (the parser has already checked that it is present).
  const std::string &get(std::string_view name) const;
  std::optional<std::string> find(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  bool flag(std::string_view name) const { return values_.count(std::string(name)) != 0; }

  void set(std::string_view name, std::string value) {
    values_.insert_or_assign(std::string(name), std::move(value));
  }

private:
  const CommandSpec *spec_;
  std::map<std::string, std::string> values_;
};

// The result of parsing one subcommand's arguments: either its options or a request for help.
struct Parsed {
  bool help = false;
  std::optional<Options> options;
};

// Parses `args` (the arguments after the subcommand's name). Throws UsageError.
Parsed parse_options(const CommandSpec &spec, const std::vector<std::string> &args);

// A port number: decimal digits only, 1..65535. Throws UsageError naming `option`.
int parse_port(const std::string &text, std::string_view option, std::string_view command);

std::string command_help(const CommandSpec &spec);

} // namespace mycelium::cli
