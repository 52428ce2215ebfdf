// Helpers every benchmark driver uses: timing, spreading work over the cores, incompressible
// filler, and the description of the machine and the number formats RESULTS.md is written in.
#pragma once

#include "mycelium/ed25519.hpp"
#include "mycelium/hex.hpp"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
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

} // namespace mycelium::bench
