#include "mycelium/chain/weight_quantization.hpp"

#include "mycelium/error.hpp"

#include <cmath>
#include <string>

namespace mycelium::chain {

namespace {

constexpr double kMaxWeight = 65535.0;

[[noreturn]] void refuse(const std::string &what) {
  throw Error(sqlstate::kInvalidParameterValue, "weights: " + what);
}

// Python's round(x) for 0 <= x <= 65535.5: the nearest integer, ties to the even one. Written
// out rather than left to the floating-point environment's rounding mode.
double round_half_to_even(double x) {
  const double below = std::floor(x);
  const double fraction = x - below;
  if (fraction > 0.5)
    return below + 1;
  if (fraction < 0.5)
    return below;
  return std::fmod(below, 2.0) == 0.0 ? below : below + 1;
}

} // namespace

QuantizedWeights quantize_weights(const std::vector<std::uint16_t> &uids,
                                  const std::vector<double> &weights) {
  if (uids.size() != weights.size())
    refuse(std::to_string(uids.size()) + " uids but " + std::to_string(weights.size()) +
           " weights; there must be one weight per uid");
  if (uids.empty())
    refuse("no uids given");
  double max = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    const std::string which =
        "weight " + std::to_string(i) + " (uid " + std::to_string(uids[i]) + ")";
    if (std::isnan(w))
      refuse(which + " is NaN");
    if (std::isinf(w))
      refuse(which + " is infinite");
    if (w < 0)
      refuse(which + " is negative (" + std::to_string(w) + ")");
    if (w > max)
      max = w;
  }
  if (max == 0)
    refuse("every weight is 0: there is nothing to scale to 65535");
  // The same operations, in the same order, as Fiber's float arithmetic.
  const double scale = kMaxWeight / max;
  QuantizedWeights out;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0))
      continue;
    const double rounded = round_half_to_even(weights[i] * scale);
    out.uids.push_back(uids[i]);
    out.weights.push_back(static_cast<std::uint16_t>(rounded > kMaxWeight ? kMaxWeight : rounded));
  }
  return out;
}

} // namespace mycelium::chain
