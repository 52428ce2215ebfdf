// mycelium: the command-line tool for people. Creates node keys, registers nodes, and reads and
// writes signed data in a node's database. Subcommands are in cmd_*.cpp, their options in
// commands.cpp.
#include "commands.hpp"

#include "mycelium/error.hpp"
#include "mycelium/version.hpp"

#include <iostream>

namespace mycelium::cli {

namespace {

void print_usage(std::ostream &out) {
  out << "Usage: mycelium COMMAND [OPTIONS]\n"
         "\n"
         "The Mycelium command-line tool: creates node keys, registers nodes, and reads and\n"
         "writes signed data. Writes are signed here with the node's key file; the secret\n"
         "key never leaves this process.\n"
         "\n"
         "Commands:\n";
  for (const CommandSpec &command : commands()) {
    const std::string name(command.name);
    out << "  " << name << std::string(name.size() < 20 ? 20 - name.size() : 1, ' ')
        << command.summary << "\n";
  }
  out << "\n"
         "Options:\n"
         "  -h, --help      show this help and exit\n"
         "  -V, --version   show the version and exit\n"
         "\n"
         "Run 'mycelium COMMAND --help' for the options of a command. Commands that use the\n"
         "database take --dsn DSN, a libpq connection string or URI; without it, libpq's\n"
         "environment applies (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).\n"
         "\n"
         "Exit status: 0 on success, 1 when the command fails, 2 for a wrong command line.\n";
}

int run(const std::vector<std::string> &args) {
  if (args.empty())
    throw UsageError("no command given");
  const std::string &first = args[0];
  if (first == "--help" || first == "-h") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (first == "help") {
    if (args.size() == 1) {
      print_usage(std::cout);
      return kExitOk;
    }
    const CommandSpec *command = find_command(args[1]);
    if (command == nullptr || args.size() > 2)
      throw UsageError(command == nullptr ? "unknown command '" + args[1] + "'"
                                          : "help takes one command name");
    std::cout << command_help(*command);
    return kExitOk;
  }
  if (first == "--version" || first == "-V") {
    std::cout << "mycelium " << kVersion << "\n";
    return kExitOk;
  }
  if (!first.empty() && first[0] == '-')
    throw UsageError("unknown option '" + first + "'");
  // Two-word commands: "chain metagraph", "chain bind-hotkey".
  const bool two_words = first == "chain";
  if (two_words && (args.size() < 2 || args[1].empty() || args[1][0] == '-'))
    throw UsageError("chain needs a command: metagraph, bind-hotkey or set-weights");
  const std::string name = two_words ? first + " " + args[1] : first;
  const CommandSpec *command = find_command(name);
  if (command == nullptr)
    throw UsageError("unknown command '" + name + "'");

  Parsed parsed = parse_options(*command, {args.begin() + (two_words ? 2 : 1), args.end()});
  if (parsed.help) {
    std::cout << command_help(*command);
    return kExitOk;
  }
  return command->run(*parsed.options);
}

} // namespace

} // namespace mycelium::cli

int main(int argc, char **argv) {
  using namespace mycelium::cli;
  int status;
  try {
    status = run({argv + 1, argv + argc});
  } catch (const UsageError &e) {
    const std::string help =
        e.command().empty() ? "mycelium --help" : "mycelium " + e.command() + " --help";
    std::cerr << "mycelium: " << e.what() << " (see '" << help << "')\n";
    return kExitUsage;
  } catch (const mycelium::Error &e) {
    // The core's messages name what is wrong (the key file, the option, the field).
    std::cerr << "mycelium: " << e.what();
    if (!e.detail().empty())
      std::cerr << "; " << e.detail();
    std::cerr << "\n";
    return kExitFailure;
  } catch (const std::exception &e) {
    std::cerr << "mycelium: " << e.what() << "\n";
    return kExitFailure;
  }
  // A full disk or a closed pipe must not look like success to a script.
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "mycelium: cannot write to standard output\n";
    return kExitFailure;
  }
  return status;
}
