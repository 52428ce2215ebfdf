// mycelium-agent: the node agent that runs beside each node's PostgreSQL.
// This is the command-line skeleton; networking, gossip and consensus arrive with later issues.
#include "mycelium/version.hpp"

#include <cstring>
#include <iostream>

namespace {

void print_usage(std::ostream &out) {
  out << "Usage: mycelium-agent [--config FILE]\n"
         "\n"
         "The Mycelium node agent: runs beside a node's PostgreSQL (with the mycelium\n"
         "extension), authenticates peers and keeps the node in sync with the network.\n"
         "\n"
         "Options:\n"
         "  -c, --config FILE   agent configuration (YAML)\n"
         "  -h, --help          show this help and exit\n"
         "  -V, --version       show the version and exit\n";
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
      print_usage(std::cout);
      return 0;
    }
    if (!std::strcmp(arg, "--version") || !std::strcmp(arg, "-V")) {
      std::cout << "mycelium-agent " << mycelium::kVersion << "\n";
      return 0;
    }
    std::cerr << "mycelium-agent: unknown option '" << arg << "'\n";
    print_usage(std::cerr);
    return 2;
  }
  std::cerr << "mycelium-agent: the agent's network service is not implemented yet; "
               "see --help\n";
  return 1;
}
