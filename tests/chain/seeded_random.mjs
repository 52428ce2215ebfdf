// The chain cross-checks' random inputs: xorshift32, small and seeded, so that a failing run is
// repeated exactly with the same seed (each script reads its own *_SEED variable).
export function seededRandom(seed) {
  let state = Number(seed) >>> 0 || 1;
  const next32 = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const below = (n) => next32() % n;
  const randomBytes = (n) => Uint8Array.from({ length: n }, () => below(256));
  return { next32, below, randomBytes };
}
