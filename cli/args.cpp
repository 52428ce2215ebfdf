#include "args.hpp"

#include <algorithm>

namespace mycelium::cli {

namespace {

const OptionSpec *find_option(const CommandSpec &spec, std::string_view name) {
  for (const OptionSpec &option : spec.options)
    if (option.name == name)
      return &option;
  return nullptr;
}

bool looks_like_option(const std::string &arg) {
  return arg.size() > 2 && arg[0] == '-' && arg[1] == '-';
}

std::string option_synopsis(const OptionSpec &option) {
  std::string text = "--" + std::string(option.name);
  if (!option.value_name.empty())
    text += " " + std::string(option.value_name);
  return option.required ? text : "[" + text + "]";
}

} // namespace

const std::string &Options::get(std::string_view name) const {
  const auto it = values_.find(std::string(name));
  // Only reachable through a programming error: parse_options enforces required options.
  if (it == values_.end())
    throw std::logic_error("option --" + std::string(name) + " was not parsed");
  return it->second;
}

std::optional<std::string> Options::find(std::string_view name) const {
  const auto it = values_.find(std::string(name));
  if (it == values_.end())
    return std::nullopt;
  return it->second;
}

std::string Options::get_or(std::string_view name, std::string_view fallback) const {
  const auto value = find(name);
  return value ? *value : std::string(fallback);
}

Parsed parse_options(const CommandSpec &spec, const std::vector<std::string> &args) {
  const std::string command(spec.name);
  Parsed parsed;
  Options options(spec);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    // Help wins over everything after it, so `mycelium put --help` works without the rest.
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    }
    if (!looks_like_option(arg)) {
      if (!arg.empty() && arg[0] == '-')
        throw UsageError("unknown option '" + arg + "' for '" + command + "'", command);
      throw UsageError("unexpected argument '" + arg + "' for '" + command + "'", command);
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const OptionSpec *option = find_option(spec, name);
    if (option == nullptr)
      throw UsageError("unknown option '--" + name + "' for '" + command + "'", command);
    if (options.find(name))
      throw UsageError("option --" + name + " given twice", command);

    if (option->value_name.empty()) {
      if (eq != std::string::npos)
        throw UsageError("option --" + name + " takes no value", command);
      options.set(name, "");
      continue;
    }
    if (eq != std::string::npos) {
      options.set(name, arg.substr(eq + 1));
      continue;
    }
    // A following "--something" is taken as a forgotten value, not as the value: that mistake
    // is far more common than a value that starts with "--", which can still be given as
    // --name=--value.
    if (i + 1 == args.size() || looks_like_option(args[i + 1]))
      throw UsageError(
          "option --" + name + " needs a value (" + std::string(option->value_name) + ")", command);
    options.set(name, args[++i]);
  }
  for (const OptionSpec &option : spec.options)
    if (option.required && !options.find(option.name))
      throw UsageError("missing required option --" + std::string(option.name), command);
  parsed.options = std::move(options);
  return parsed;
}

int parse_port(const std::string &text, std::string_view option, std::string_view command) {
  // Digits only: std::stoi would accept " 80", "+80" and "80abc".
  const bool digits =
      !text.empty() && text.size() <= 5 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int port = digits ? std::stoi(text) : 0;
  if (port < 1 || port > 65535)
    throw UsageError("--" + std::string(option) + " must be a port number from 1 to 65535, got '" +
                         text + "'",
                     std::string(command));
  return port;
}

std::string command_help(const CommandSpec &spec) {
  std::string text = "Usage: mycelium " + std::string(spec.name);
  for (const OptionSpec &option : spec.options)
    text += " " + option_synopsis(option);
  text += "\n\n" + std::string(spec.description) + "\n\nOptions:\n";

  std::vector<std::pair<std::string, std::string_view>> rows;
  for (const OptionSpec &option : spec.options) {
    std::string left = "--" + std::string(option.name);
    if (!option.value_name.empty())
      left += " " + std::string(option.value_name);
    rows.emplace_back(std::move(left), option.help);
  }
  rows.emplace_back("-h, --help", "show this help and exit");
  std::size_t width = 0;
  for (const auto &row : rows)
    width = std::max(width, row.first.size());
  for (const auto &row : rows)
    text += "  " + row.first + std::string(width - row.first.size() + 3, ' ') +
            std::string(row.second) + "\n";
  return text;
}

} // namespace mycelium::cli
