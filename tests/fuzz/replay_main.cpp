// A main() for envelope_fuzz.cpp without libFuzzer, so the target also builds with g++ and the
// seed corpus is checked by ctest on every build: each file (a JSON seed is converted first,
// and must be a valid envelope) goes through LLVMFuzzerTestOneInput once.
#include "mycelium/protocol/envelope.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

int main(int argc, char **argv) {
  using namespace mycelium::protocol;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string path = argv[i];
    std::ifstream in(path, std::ios::binary);
    const std::string content{std::istreambuf_iterator<char>(in), {}};
    if (!in.good() && !in.eof()) {
      std::cerr << path << ": cannot read\n";
      ++failures;
      continue;
    }
    mycelium::Bytes input(content.begin(), content.end());
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
      const DecodeResult r = decode_json(content);
      if (!r.ok()) {
        std::cerr << path << ": seed no longer valid: " << to_string(r.reason()) << ": "
                  << r.detail() << "\n";
        ++failures;
        continue;
      }
      input = from_json(content);
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
    std::cout << path << ": ok\n";
  }
  return failures == 0 ? 0 : 1;
}
