// Helpers every benchmark driver uses: timing, spreading work over the cores, incompressible
// filler, and the description of the machine and the number formats RESULTS.md is written in.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mycelium::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Splits [0, n) over the available cores.
inline void parallel_for(std::size_t n, const std::function<void(std::size_t)> &body) {
  const std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      for (std::size_t i = w; i < n; i += workers)
        body(i);
    });
  for (std::thread &t : threads)
    t.join();
}

inline std::uint64_t mix(std::uint64_t x) { // splitmix64: filler that does not compress
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

inline std::string hex(const Signature &signature) {
  return to_hex(signature.data(), signature.size());
}

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

inline std::string load_average() { // the 1-minute load average: other processes share the cores
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

inline int online_cpus() { // what nproc prints
  cpu_set_t set;
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

// From /proc/PID/stat: the parent's pid and the CPU time (user + system) used so far, in
// seconds; {0, 0} once the process is gone. Every process of the benchmarks runs on this machine,
// so the drivers can read them all.
struct ProcessStat {
  int parent = 0;
  double cpu = 0;
  double children_cpu = 0; // of its children that have ended and that it has waited for
};
inline ProcessStat process_stat(const std::string &pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  std::getline(in, stat);
  const std::size_t close = stat.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos)
    return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  ProcessStat result;
  double ticks = 0, children_ticks = 0;
  for (int n = 3; fields >> field && n <= 17; ++n) { // 4: ppid; 14, 15: utime, stime;
    if (n == 4)                                      // 16, 17: cutime, cstime
      result.parent = std::stoi(field);
    else if (n >= 16)
      children_ticks += std::stod(field);
    else if (n >= 14)
      ticks += std::stod(field);
  }
  const auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  result.cpu = ticks / hz;
  result.children_cpu = children_ticks / hz;
  return result;
}

inline double process_cpu_seconds(int pid) {
  return process_stat(std::to_string(pid)).cpu;
}

// Memory of a process from /proc/PID/status, in kB: the kernel's peak resident set (VmHWM), the
// resident set now (VmRSS) and its private anonymous part (RssAnon: what the process allocated
// itself, without the shared buffers it touched, which count in VmRSS as RssShmem). All 0 once
// the process is gone.
struct ProcessMemory {
  long hwm_kb = 0, rss_kb = 0, anon_kb = 0, shmem_kb = 0;
};
inline ProcessMemory process_memory(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  ProcessMemory m;
  for (std::string line; std::getline(in, line);) {
    const auto value = [&] { return std::stol(line.substr(line.find(':') + 1)); };
    if (line.rfind("VmHWM:", 0) == 0)
      m.hwm_kb = value();
    else if (line.rfind("VmRSS:", 0) == 0)
      m.rss_kb = value();
    else if (line.rfind("RssAnon:", 0) == 0)
      m.anon_kb = value();
    else if (line.rfind("RssShmem:", 0) == 0)
      m.shmem_kb = value();
  }
  return m;
}

inline std::string num(double value) { // 12345.6 -> "12,346"
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(i, ",");
  return digits;
}

inline std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// A command-line option's number: all of `text`, at least `min`; else an error naming it.
inline double option_number(const std::string &text, double min) {
  char *end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= min))
    throw std::runtime_error("not a number >= " + fixed(min, 0) + ": \"" + text + "\"");
  return v;
}

} // namespace mycelium::bench
