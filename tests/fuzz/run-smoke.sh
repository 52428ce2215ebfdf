#!/usr/bin/env bash
# Builds the envelope decoder's libFuzzer target with clang and runs it briefly on the seed
# corpus: a smoke test (ctest fuzz_envelope_smoke, so `make test` runs it), not a campaign.
#
# usage: tests/fuzz/run-smoke.sh [--build-only] [OUT_DIR] [SECONDS]
#   --build-only  build the fuzzer if it is out of date, do not run it (the CMake build does
#                 this, so that the test's time is the fuzzing); silent when up to date
#   OUT_DIR       build and work directory (default build/fuzz); a crash leaves its input there
#   SECONDS       how long to fuzz (default 10)
# A longer campaign: tests/fuzz/run-smoke.sh build/fuzz 3600
#
# Exit status: 0 no crash, 1 a crash or a build failure, 77 skipped (no clang++ or no libFuzzer
# runtime: install clang-14 and libclang-rt-14-dev; with --build-only: 0, there is nothing to do).
set -euo pipefail

build_only=
if [ "${1:-}" = --build-only ]; then
  build_only=yes
  shift
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/fuzz}
seconds=${2:-10}
mkdir -p "$out"
out=$(cd "$out" && pwd)

skip() {
  # Without clang the build goes on; the test says why it did not fuzz.
  [ -z "$build_only" ] || exit 0
  echo "fuzz_envelope_smoke: SKIPPED: $*"
  exit 77
}

cxx=""
for candidate in "${FUZZ_CXX:-}" clang++ clang++-14; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    cxx=$candidate
    break
  fi
done
[ -n "$cxx" ] || skip "clang++ not found (Debian: apt-get install clang-14 libclang-rt-14-dev)"

binary="$out/envelope_fuzz"
# Rebuild only when a source, a header or the schema changed.
stale() {
  [ ! -x "$binary" ] || [ -n "$(find "$root/core" "$root/schemas/mycelium.fbs" "$here" \
    -newer "$binary" \( -name '*.cpp' -o -name '*.hpp' -o -name '*.fbs' \) -print -quit)" ]
}

build() {
  # libFuzzer's runtime is a separate Debian package from the compiler.
  probe="$out/probe"
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' \
    >"$probe.cpp"
  if ! "$cxx" -fsanitize=fuzzer,address "$probe.cpp" -o "$probe" >"$probe.log" 2>&1; then
    skip "$cxx cannot link -fsanitize=fuzzer ($(head -n 1 "$probe.log")); install libclang-rt-14-dev"
  fi

  # The generated code, as the CMake build makes it (core/CMakeLists.txt).
  gen="$out/generated/mycelium/wire"
  mkdir -p "$gen"
  flatc --cpp --scoped-enums -o "$gen" "$root/schemas/mycelium.fbs"
  cmake -DSCHEMA="$root/schemas/mycelium.fbs" -DOUTPUT="$gen/schema_text.hpp" \
    -P "$root/core/cmake/embed_schema.cmake"

  # Exactly what the decoder needs (not all of core/src/protocol: the handshake is not fuzzed here).
  sources=(
    "$here/envelope_fuzz.cpp"
    "$root"/core/src/protocol/{decode,encode,json,messages,signatures}.cpp
    "$root/core/src/signing.cpp"
    "$root/core/src/ed25519.cpp"
    "$root/core/src/hex.cpp"
  )
  echo "fuzz: building ${binary#"$root/"} with $cxx (libFuzzer, ASan, UBSan)"
  "$cxx" -std=c++17 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I "$root/core/include" -I "$out/generated" -I "$root/core/src/protocol" \
    "${sources[@]}" $(pkg-config --libs libsodium flatbuffers) -o "$binary"
}

if stale; then
  build
fi
[ -z "$build_only" ] || exit 0

# Seeds are committed as JSON (readable, and they follow schema changes); flatc makes binaries.
seeds="$out/seeds"
work="$out/corpus"
rm -rf "$seeds"
mkdir -p "$seeds" "$work"
flatc -b -o "$seeds" "$root/schemas/mycelium.fbs" "$here"/corpus/*.json

echo "fuzzing for ${seconds}s"
# New inputs go to $work (first directory); crashes to $out/crash-*.
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$out/" -print_final_stats=1 "$work" "$seeds"
