// Consistent hashing on a ketama-style ring. Each target owns points at hash32(`${id}-${i}`), a number of
// them proportional to its weight; a key belongs to the first point at or after hash32(key), clockwise.
// Points depend only on the target's own id and weight, so adding or removing a target moves only the keys
// on that target's points (about 1/N of them), and an unusable target's keys walk on to the next usable
// point, spread over the others by its many points, while every other key stays where it was.
import { fmix32, fnv1a32, hash32 } from "./hash32.ts";
import type { Balancer, BalancerTarget } from "./types.ts";
import { SeenSet, walk } from "./walk.ts";

export const DEFAULT_POINTS_PER_WEIGHT = 160;
export const DEFAULT_MAX_RING_SIZE = 65_536;
export const MAX_RING_SIZE = 1 << 20;
const MAX_BUCKET_BITS = 20;

export class RingHashBalancer<T extends BalancerTarget> implements Balancer<T> {
  readonly kind = "hash";
  readonly targets: readonly T[];
  /** Sorted ascending; `#owners[k]` is the target index that owns `#points[k]`. */
  readonly #points: Uint32Array;
  readonly #owners: Uint16Array;
  /** `#buckets[b]` is the first point whose top bits are >= b; one more entry at the end (= ring size). */
  readonly #buckets: Uint32Array;
  readonly #shift: number;
  readonly #seen: SeenSet;
  /** Picks without a key are spread over the ring by hashing a counter. */
  #counter = 0;

  constructor(targets: readonly T[], pointsPerWeight: number, maxRingSize: number) {
    this.targets = targets;
    const [points, owners] = buildRing(targets, pointsPerWeight, maxRingSize);
    this.#points = points;
    this.#owners = owners;
    // About one bucket per point: 2^bits >= ring size.
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(Math.max(2, points.length)))));
    const shift = 32 - bits;
    const buckets = new Uint32Array((1 << bits) + 1);
    let k = 0;
    for (let b = 0; b < buckets.length; b++) {
      while (k < points.length && points[k] >>> shift < b) k++;
      buckets[b] = k;
    }
    this.#shift = shift;
    this.#buckets = buckets;
    this.#seen = new SeenSet(targets.length);
  }

  pick(usable: (t: T) => boolean, key?: string, avoid?: T): T | undefined {
    const points = this.#points;
    const len = points.length;
    if (len === 0) return undefined;
    let h: number;
    if (key === undefined) {
      this.#counter = (this.#counter + 1) | 0;
      h = fmix32(this.#counter);
    } else {
      h = hash32(key);
    }
    // The bucket of h's top bits bounds the search to about one point, so no binary search is needed.
    const b = h >>> this.#shift;
    let lo = this.#buckets[b];
    const hi = this.#buckets[b + 1];
    while (lo < hi && points[lo] < h) lo++;
    const pos = walk(this.#owners, lo === len ? 0 : lo, this.targets, usable, avoid, this.#seen);
    return pos < 0 ? undefined : this.targets[this.#owners[pos]];
  }

  /** The ring's size, for tests and the admin view. */
  get size(): number {
    return this.#points.length;
  }
}

function buildRing(
  targets: readonly BalancerTarget[],
  pointsPerWeight: number,
  maxRingSize: number,
): [Uint32Array, Uint16Array] {
  const totalWeight = targets.reduce((sum, t) => sum + t.weight, 0);
  // Past the cap every target's count shrinks by the same factor; remapping is then no longer minimal
  // (the factor changes with the target set), which only very large weight sums pay for.
  const scale = Math.min(1, maxRingSize / (totalWeight * pointsPerWeight));
  const counts = targets.map((t) => Math.max(1, Math.round(t.weight * pointsPerWeight * scale)));
  // Equal points (a 32-bit collision) are ordered by target id, so the ring does not depend on the
  // order targets are listed in.
  const byId = targets.map((_, i) => i).sort((x, y) => (targets[x].id < targets[y].id ? -1 : 1));
  const packed = new Float64Array(counts.reduce((a, b) => a + b, 0));
  let k = 0;
  for (let rank = 0; rank < byId.length; rank++) {
    const ti = byId[rank];
    const prefix = fnv1a32(`${targets[ti].id}-`);
    for (let v = 0; v < counts[ti]; v++) packed[k++] = pointHash(prefix, v) * 65_536 + rank;
  }
  packed.sort();
  const points = new Uint32Array(packed.length);
  const owners = new Uint16Array(packed.length);
  for (let j = 0; j < packed.length; j++) {
    const p = packed[j];
    points[j] = Math.floor(p / 65_536);
    owners[j] = byId[p % 65_536];
  }
  return [points, owners];
}

const digits = new Uint8Array(16);

/** hash32(`${id}-${v}`) given prefix = fnv1a32(`${id}-`), without building the string, which
 * dominated the cost of building a ring. */
export function pointHash(prefix: number, v: number): number {
  let n = 0;
  do {
    digits[n++] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  let h = prefix;
  while (n > 0) {
    h ^= digits[--n];
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}
