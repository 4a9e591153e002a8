// Helpers for the access policy's unit tests.

/** A seeded xorshift32 generator: every bit is usable (an LCG's low bits repeat with short periods). */
export function xorshift32(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
}
