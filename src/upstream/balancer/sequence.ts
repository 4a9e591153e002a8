// Round robin and weighted round robin: both walk a precomputed cycle of target indexes. Round robin's
// cycle is 0..n-1; weighted's is nginx's smooth weighted round robin, so a heavy target's turns are spread
// through the cycle instead of bunched. After a pick the cursor moves past the chosen slot, so an unusable
// target's turns go to whoever follows it and the rest keep their shares among themselves.
import type { Balancer, BalancerKind, BalancerTarget } from "./types.ts";
import { SeenSet, walk } from "./walk.ts";

export class SequenceBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly kind: BalancerKind;
  readonly targets: readonly T[];
  readonly #order: Uint16Array;
  readonly #seen: SeenSet;
  #cursor: number;

  constructor(kind: "round-robin" | "weighted", targets: readonly T[], random: () => number) {
    this.kind = kind;
    this.targets = targets;
    this.#order =
      kind === "weighted"
        ? smoothWeightedCycle(targets.map((t) => t.weight))
        : Uint16Array.from(targets, (_, i) => i);
    this.#seen = new SeenSet(targets.length);
    // A random start, so gateways started (or reloaded) together do not all send their first request to
    // the same target.
    this.#cursor = Math.floor(random() * this.#order.length);
  }

  pick(usable: (t: T) => boolean, _key?: string, avoid?: T): T | undefined {
    const order = this.#order;
    if (order.length === 0) return undefined;
    const pos = walk(order, this.#cursor, this.targets, usable, avoid, this.#seen);
    if (pos < 0) return undefined;
    this.#cursor = pos + 1 === order.length ? 0 : pos + 1;
    return this.targets[order[pos]];
  }
}

/**
 * One cycle of nginx's smooth weighted round robin: each turn every target gains its weight, the richest
 * is chosen and pays the total. Weights are divided by their greatest common divisor first, so 100/200
 * costs a cycle of 3, not 300. Weights 5,1,1 give a a b a c a a.
 */
export function smoothWeightedCycle(weights: readonly number[]): Uint16Array {
  const g = weights.reduce(gcd, 0) || 1;
  const w = weights.map((x) => x / g);
  const total = w.reduce((a, b) => a + b, 0);
  const current = new Float64Array(w.length);
  const out = new Uint16Array(total);
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < w.length; i++) {
      current[i] += w[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    out[n] = best;
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
