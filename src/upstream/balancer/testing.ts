// Helpers for the balancer tests and benchmark.
import type { BalancerTarget } from "./types.ts";

export interface TestTarget extends BalancerTarget {
  readonly index: number;
}

/** n targets 10.0.0.1:8080.., weights from `weights` (default 1). */
export function targetsOf(n: number, weights: readonly number[] = []): TestTarget[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `10.0.0.${i + 1}:8080`,
    weight: weights[i] ?? 1,
    index: i,
  }));
}

/** mulberry32: a seeded [0, 1) source, so statistical tests give the same answer on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How many of `picks` went to each target index. */
export function tally(picks: readonly (TestTarget | undefined)[], n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const p of picks) if (p !== undefined) counts[p.index]++;
  return counts;
}
