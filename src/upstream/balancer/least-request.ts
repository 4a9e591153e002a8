// Least request by the power of two random choices: draw two distinct targets, send to the less loaded.
// Comparing two instead of scanning all is O(1), and it avoids the herd that "always the least loaded"
// causes when many requests see the same snapshot of counts. Load is (in flight + 1) / weight, as Envoy's
// least-request with active_request_bias 1: a target of weight 2 is as busy as one of weight 1 when it
// has twice the requests, and an idle heavy target beats an idle light one.
import type { Balancer, BalancerTarget } from "./types.ts";
import { SeenSet } from "./walk.ts";

/** Random draws for a usable candidate before falling back to a scan (which slightly favours the
 * target after an unusable run). With half the targets unusable, 1 pick in 8 scans. */
const DRAWS = 3;

export class LeastRequestBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly kind = "least-request";
  readonly targets: readonly T[];
  readonly #inflight: (t: T) => number;
  /** xorshift32 state. A typed array, not a field: a number field above 2^30 would be boxed on every
   * write, and Math.random()'s double is boxed when it crosses a call that is not inlined. */
  readonly #state = new Int32Array(1);
  readonly #seen: SeenSet;

  constructor(targets: readonly T[], inflight: (t: T) => number, random: () => number) {
    this.targets = targets;
    this.#inflight = inflight;
    this.#state[0] = Math.floor(random() * 0x1_0000_0000) | 0 || 1;
    this.#seen = new SeenSet(targets.length);
  }

  pick(usable: (t: T) => boolean, _key?: string, avoid?: T): T | undefined {
    const targets = this.targets;
    if (targets.length === 0) return undefined;
    this.#seen.clear();
    const a = this.#candidate(usable, avoid);
    if (a < 0) {
      return avoid !== undefined && targets.includes(avoid) && usable(avoid) ? avoid : undefined;
    }
    const b = this.#candidate(usable, avoid);
    const ta = targets[a];
    if (b < 0) return ta;
    const tb = targets[b];
    const inflight = this.#inflight;
    // (ia + 1) / wa <= (ib + 1) / wb, multiplied out: no division, exact for integer counts and weights.
    return (inflight(ta) + 1) * tb.weight <= (inflight(tb) + 1) * ta.weight ? ta : tb;
  }

  /** A usable target index not yet seen in this pick (so `a` is never drawn again for `b`), or -1.
   * Each target is asked at most once per pick. */
  #candidate(usable: (t: T) => boolean, avoid: T | undefined): number {
    const targets = this.targets;
    const n = targets.length;
    const seen = this.#seen;
    const state = this.#state;
    let i = 0;
    for (let d = 0; d < DRAWS; d++) {
      let x = state[0];
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      state[0] = x;
      // 31 bits: an int32 remainder; `(x >>> 0) % n` is a uint32 one, done in floating point, 25 ns slower.
      i = (x >>> 1) % n;
      if (seen.has(i)) continue;
      seen.add(i);
      const t = targets[i];
      if (t !== avoid && usable(t)) return i;
    }
    for (let s = 0; s < n; s++) {
      i = i + 1 >= n ? 0 : i + 1;
      if (seen.has(i)) continue;
      seen.add(i);
      const t = targets[i];
      if (t !== avoid && usable(t)) return i;
    }
    return -1;
  }
}
