#!/usr/bin/env python3
"""Our weight quantisation (core weight_quantization.hpp, through weights_tool's `quantize`)
against Fiber's rule evaluated by Python itself, whose float arithmetic and round() (ties to even)
Fiber's fiber/chain/weights.py relies on. Run by ctest as chain_weights_fiber_rule:

    python3 tests/chain/fiber_quantize_cross.py <weights_tool>

The rule, as Fiber 2.1.0 states it: refuse a length mismatch or a negative weight; scale =
65535 / max(weights); keep each (uid, round(weight * scale)) whose weight is > 0, in order.
Where Fiber returns empty lists (every weight 0), ours refuses; that case is checked too.
"""
import random
import subprocess
import sys

U16_MAX = 65535


def fiber_rule(uids, weights):
    scale = U16_MAX / max(weights)
    kept = [(uid, round(weight * scale)) for uid, weight in zip(uids, weights) if weight > 0]
    return [uid for uid, _ in kept], [weight for _, weight in kept]


def random_case(rng):
    count = rng.randint(1, 40)
    uids = rng.sample(range(U16_MAX + 1), count)
    kind = rng.randrange(4)
    if kind == 0:  # scores in [0, 1), some zero
        weights = [0.0 if rng.random() < 0.2 else rng.random() for _ in uids]
    elif kind == 1:  # wide range of magnitudes
        weights = [rng.random() * 10 ** rng.randint(-12, 12) for _ in uids]
    elif kind == 2:  # integers that land on .5 ties: scale 0.5
        weights = [float(rng.randint(0, 200)) for _ in uids]
        weights[0] = 2.0 * U16_MAX
    else:  # small integers
        weights = [float(rng.randint(0, 5)) for _ in uids]
    if max(weights) == 0:
        weights[0] = 1.0
    return uids, weights


def main():
    if len(sys.argv) != 2:
        print("usage: fiber_quantize_cross.py <weights_tool>", file=sys.stderr)
        return 2
    rng = random.Random(16)
    cases = [random_case(rng) for _ in range(400)]
    lines = [
        "quantize\t" + ",".join(map(str, uids)) + "\t" + ",".join(repr(w) for w in weights)
        for uids, weights in cases
    ]
    lines.append("quantize\t1,2\t0.0,0.0")
    run = subprocess.run([sys.argv[1]], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True)
    answers = run.stdout.split("\n")[:-1]
    if len(answers) != len(lines):
        print(f"weights_tool answered {len(answers)} lines for {len(lines)}", file=sys.stderr)
        return 1
    failures = 0
    ties = 0
    for (uids, weights), answer in zip(cases, answers):
        want_uids, want_weights = fiber_rule(uids, weights)
        want = (",".join(map(str, want_uids)) or "-") + "\t" + (",".join(map(str, want_weights)) or "-")
        ties += sum(1 for w in weights if w > 0 and (w * (U16_MAX / max(weights))) % 1 == 0.5)
        if answer != want:
            failures += 1
            print(f"MISMATCH {uids} {weights}:\n  ours  {answer}\n  Fiber {want}", file=sys.stderr)
    if not answers[-1].startswith("error\tweights: every weight is 0"):
        failures += 1
        print(f"MISMATCH all-zero weights: ours {answers[-1]}, expected a refusal", file=sys.stderr)
    if ties < 50:
        failures += 1
        print(f"only {ties} ties to even were exercised", file=sys.stderr)
    if failures:
        print(f"fiber_quantize_cross: {failures} of {len(lines)} cases failed", file=sys.stderr)
        return 1
    print(f"fiber_quantize_cross: {len(lines)} cases agree ({ties} ties to even)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
