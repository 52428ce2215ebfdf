// mycelium-agent: the node agent that runs beside each node's PostgreSQL.
#include "agent.hpp"
#include "config.hpp"
#include "log.hpp"

#include "mycelium/key_file.hpp"
#include "mycelium/version.hpp"

#include <uv.h>

#include <csignal>
#include <cstring>
#include <iostream>

namespace {

void print_usage(std::ostream &out) {
  out << "Usage: mycelium-agent --config FILE\n"
         "       mycelium-agent --check-config FILE\n"
         "\n"
         "The Mycelium node agent: runs beside a node's PostgreSQL (with the mycelium\n"
         "extension), authenticates peer agents and keeps the node in sync with them.\n"
         "\n"
         "The configuration file is described in\n"
         "  " MYCELIUM_AGENT_DOCDIR "/mycelium-agent.md\n"
         "with a commented example in\n"
         "  " MYCELIUM_AGENT_DOCDIR "/mycelium-agent.example.yaml\n"
         "(in the source tree: agent/README.md and agent/mycelium-agent.example.yaml).\n"
         "\n"
         "Options:\n"
         "  -c, --config FILE        run with this configuration (YAML)\n"
         "      --check-config FILE  check a configuration and its key file, then exit\n"
         "  -h, --help               show this help and exit\n"
         "  -V, --version            show the version and exit\n";
}

} // namespace

int main(int argc, char **argv) {
  using namespace mycelium;
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
      print_usage(std::cout);
      return 0;
    }
    if (!std::strcmp(arg, "--version") || !std::strcmp(arg, "-V")) {
      std::cout << "mycelium-agent " << kVersion << "\n";
      return 0;
    }
    if (!std::strcmp(arg, "--config") || !std::strcmp(arg, "-c") ||
        !std::strcmp(arg, "--check-config")) {
      // A following option is a forgotten value, not a file named "--help".
      if (i + 1 == argc || !std::strncmp(argv[i + 1], "--", 2)) {
        std::cerr << "mycelium-agent: " << arg << " needs a value (a path to the config file)\n";
        print_usage(std::cerr);
        return 2;
      }
      check_only = !std::strcmp(arg, "--check-config");
      config_path = argv[++i];
      continue;
    }
    std::cerr << "mycelium-agent: unknown option '" << arg << "'\n";
    print_usage(std::cerr);
    return 2;
  }
  if (config_path.empty()) {
    std::cerr << "mycelium-agent: --config FILE is required\n";
    print_usage(std::cerr);
    return 2;
  }

  agent::AgentConfig config;
  std::optional<SecretKey> key;
  try {
    config = agent::load_config(config_path);
    key.emplace(read_key_file(config.key_file));
  } catch (const std::exception &e) {
    std::cerr << "mycelium-agent: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "mycelium-agent: " << config_path << " is valid\n";
    return 0;
  }
  agent::set_log_level(config.log_level);
  agent::log_info("mycelium-agent " + std::string(kVersion) +
                  " starting: " + agent::describe(config));

  uv_loop_t loop;
  uv_loop_init(&loop);
  int exit_code = 0;
  {
    agent::Agent node(&loop, config, std::move(*key));
    key.reset();
    // SIGTERM and SIGINT stop the agent cleanly: links closed, the database thread joined.
    uv_signal_t term, interrupt, hangup;
    for (uv_signal_t *signal : {&term, &interrupt, &hangup}) {
      uv_signal_init(&loop, signal);
      signal->data = &node;
    }
    auto on_signal = [](uv_signal_t *handle, int signum) {
      agent::log_info(std::string("received ") + (signum == SIGTERM ? "SIGTERM" : "SIGINT"));
      static_cast<agent::Agent *>(handle->data)->stop();
      uv_signal_stop(handle);
    };
    uv_signal_start(&term, on_signal, SIGTERM);
    uv_signal_start(&interrupt, on_signal, SIGINT);
    // SIGHUP (the conventional "reload", and what a closed terminal sends) would end the agent
    // silently by default. Reloading is not supported: the settings are held by every part of
    // the agent from the start. So it is ignored, and each one is logged.
    uv_signal_start(
        &hangup,
        [](uv_signal_t *, int) {
          agent::log_warn("SIGHUP received: configuration reload is not supported; restart the "
                          "agent to apply changes");
        },
        SIGHUP);
    // A stopped agent (signal or fatal start-up error) closes its handles; the signal handles
    // are closed here once it has.
    struct Watch {
      agent::Agent *node;
      uv_signal_t *signals[3];
    } watch{&node, {&term, &interrupt, &hangup}};
    uv_timer_t poll;
    uv_timer_init(&loop, &poll);
    poll.data = &watch;
    uv_timer_start(
        &poll,
        [](uv_timer_t *t) {
          auto *w = static_cast<Watch *>(t->data);
          if (!w->node->stopped())
            return;
          for (uv_signal_t *s : w->signals)
            if (!uv_is_closing(reinterpret_cast<uv_handle_t *>(s)))
              uv_close(reinterpret_cast<uv_handle_t *>(s), nullptr);
          uv_close(reinterpret_cast<uv_handle_t *>(t), nullptr);
        },
        50, 50);
    node.start();
    uv_run(&loop, UV_RUN_DEFAULT);
    exit_code = node.exit_code();
  }
  // Handles closed by destructors still need a turn of the loop.
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  agent::log_info("stopped");
  return exit_code;
}
