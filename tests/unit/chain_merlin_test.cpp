// STROBE-128 and Merlin (core/include/mycelium/chain/merlin.hpp): the merlin crate's transcript
// test vector, the framing of append_u64, and the transcript RNG's binding and misuse.
#include "mycelium/chain/merlin.hpp"

#include "chain_test_util.hpp"

#include <cstring>

namespace {

using namespace mycelium::chain;
using chain_test::expect_error;
using chain_test::hex;

std::string challenge(Transcript &transcript, std::string_view label, std::size_t size = 32) {
  std::string out(size, '\0');
  transcript.challenge_bytes(label, reinterpret_cast<std::uint8_t *>(out.data()), size);
  return hex(reinterpret_cast<const std::uint8_t *>(out.data()), size);
}

TEST(Merlin, PublishedTranscriptVector) {
  // merlin's documented test: "test protocol", one message, a 32-byte challenge.
  Transcript transcript("test protocol");
  transcript.append_message("some label", "some data");
  EXPECT_EQ(challenge(transcript, "challenge"),
            "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615");
}

TEST(Merlin, AppendU64IsItsLittleEndianBytes) {
  Transcript by_u64("framing");
  by_u64.append_u64("n", 0x0102030405060708ULL);
  Transcript by_bytes("framing");
  const std::uint8_t le[8] = {8, 7, 6, 5, 4, 3, 2, 1};
  by_bytes.append_message("n", le, sizeof le);
  EXPECT_EQ(challenge(by_u64, "c"), challenge(by_bytes, "c"));
}

TEST(Merlin, EveryInputChangesTheChallenge) {
  const auto challenge_of = [](std::string_view label, std::string_view message) {
    Transcript transcript("protocol");
    transcript.append_message(label, message);
    return challenge(transcript, "c");
  };
  const std::string base = challenge_of("label", "message");
  EXPECT_NE(base, challenge_of("label", "messagf"));
  EXPECT_NE(base, challenge_of("labem", "message"));
  // Label and message are framed: moving a byte across the boundary changes the result.
  EXPECT_NE(challenge_of("ab", "c"), challenge_of("a", "bc"));
  Transcript other("Protocol");
  other.append_message("label", "message");
  EXPECT_NE(base, challenge(other, "c"));
}

TEST(Merlin, LongInputsCrossTheSpongeRate) {
  // Messages and challenges longer than STROBE's 166-byte rate run the permutation mid-way;
  // two challenges in a row differ.
  Transcript transcript("long");
  const std::string data(1024, 'c');
  transcript.append_message("big", data);
  const std::string first = challenge(transcript, "c", 400);
  const std::string second = challenge(transcript, "c", 400);
  EXPECT_NE(first, second);
  EXPECT_EQ(first.size(), 800u);
}

TEST(Merlin, TranscriptRngDependsOnTranscriptWitnessAndRandomness) {
  const std::uint8_t zeros[32] = {};
  std::uint8_t ones[32];
  std::memset(ones, 1, sizeof ones);
  const auto draw = [](std::string_view commitment, std::string_view witness,
                       const std::uint8_t(&random)[32]) {
    Transcript transcript("test TranscriptRng collisions");
    transcript.append_message("com", commitment);
    TranscriptRng rng = transcript.build_rng();
    rng.rekey_with_witness_bytes("witness", reinterpret_cast<const std::uint8_t *>(witness.data()),
                                 witness.size())
        .finalize(random);
    std::uint8_t out[64];
    rng.fill_bytes(out, sizeof out);
    return hex(out, sizeof out);
  };
  const std::string reference = draw("commitment 1", "witness 1", zeros);
  EXPECT_EQ(reference, draw("commitment 1", "witness 1", zeros));
  EXPECT_NE(reference, draw("commitment 2", "witness 1", zeros));
  EXPECT_NE(reference, draw("commitment 1", "witness 2", zeros));
  EXPECT_NE(reference, draw("commitment 1", "witness 1", ones));
}

TEST(Merlin, BuildRngLeavesTheTranscriptAsItWas) {
  Transcript with_rng("protocol");
  Transcript without_rng("protocol");
  {
    TranscriptRng rng = with_rng.build_rng();
    rng.finalize();
    std::uint8_t out[16];
    rng.fill_bytes(out, sizeof out);
  }
  EXPECT_EQ(challenge(with_rng, "c"), challenge(without_rng, "c"));
}

TEST(Merlin, TranscriptRngMisuseIsRefused) {
  Transcript transcript("protocol");
  TranscriptRng rng = transcript.build_rng();
  std::uint8_t out[8];
  expect_error([&] { rng.fill_bytes(out, sizeof out); }, "XX000", "used before finalize");
  rng.finalize();
  expect_error([&] { rng.finalize(); }, "XX000", "finalized twice");
  expect_error([&] { rng.rekey_with_witness_bytes("w", out, sizeof out); }, "XX000",
               "rekeyed after finalize");
}

} // namespace
