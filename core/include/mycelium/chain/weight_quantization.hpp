// Weights as a validator computes them (non-negative reals, any scale) to the u16 weights
// set_weights takes, by Fiber's rule (rayonlabs/fiber 2.1.0, fiber/chain/weights.py), so that a
// Mycelium validator sets the weights a Fiber validator would for the same scores:
//
//   scale = 65535 / max(weights); for each uid whose weight is > 0, in the given order:
//   keep (uid, round_half_to_even(weight * scale))
//
// Uids whose weight is 0 are left out; a positive weight small enough to round to 0 is kept with
// weight 0, as Fiber does. Rounding is Python's round(): to the nearest integer, ties to even.
// schemas/CHAIN.md, "Weights".
#pragma once

#include <cstdint>
#include <vector>

namespace mycelium::chain {

struct QuantizedWeights {
  std::vector<std::uint16_t> uids;
  std::vector<std::uint16_t> weights; // one per uid; the largest input weight is 65535
};

// Throws Error 22023 when the lists differ in length, are empty, a weight is negative, NaN or
// infinite (naming its index and uid), or every weight is 0 (there is nothing to scale; Fiber
// would send empty lists, which set no weights at all).
QuantizedWeights quantize_weights(const std::vector<std::uint16_t> &uids,
                                  const std::vector<double> &weights);

} // namespace mycelium::chain
