// Shared by the sequence and ring balancers: both keep an order of target indexes with repeats (a weighted
// cycle, a ring of virtual nodes) and, when the target at the start is not usable, walk on to the next
// one that is. Targets already turned down in this walk are remembered in a stamp array, so a heavy
// unusable target costs one `usable` call per pick, not one per appearance, and "none usable" ends as soon
// as every distinct target has been seen.

export class SeenSet {
  readonly #stamps: Uint32Array;
  readonly #wrapAt: number;
  #epoch = 0;

  /** `wrapAt` is lowered only by tests, to reach the wrap quickly. */
  constructor(size: number, wrapAt = 0x4000_0000) {
    this.#stamps = new Uint32Array(size);
    this.#wrapAt = wrapAt;
  }

  /** Forgets the previous walk: one increment, no clearing until the epoch wraps. It wraps below 2^30 so
   * it stays a small integer: a larger number field would be boxed, an allocation on every pick. */
  clear(): void {
    if (++this.#epoch === this.#wrapAt) {
      this.#stamps.fill(0);
      this.#epoch = 1;
    }
  }

  has(i: number): boolean {
    return this.#stamps[i] === this.#epoch;
  }

  add(i: number): void {
    this.#stamps[i] = this.#epoch;
  }
}

/**
 * The position in `order`, from `start` on and wrapping, of the first target that is usable and is not
 * `avoid`; failing that, the first position of `avoid` if it is usable; failing that, -1.
 * Every target index must appear in `order` at least once.
 */
export function walk<T>(
  order: Uint16Array,
  start: number,
  targets: readonly T[],
  usable: (t: T) => boolean,
  avoid: T | undefined,
  seen: SeenSet,
): number {
  const first = order[start];
  const t0 = targets[first];
  if (t0 !== avoid && usable(t0)) return start;
  const len = order.length;
  const n = targets.length;
  seen.clear();
  seen.add(first);
  let rejected = 1;
  let avoidAt = t0 === avoid ? start : -1;
  let pos = start;
  while (rejected < n) {
    pos = pos + 1 === len ? 0 : pos + 1;
    if (pos === start) break;
    const i = order[pos];
    if (seen.has(i)) continue;
    seen.add(i);
    rejected++;
    const t = targets[i];
    if (t === avoid) avoidAt = pos;
    else if (usable(t)) return pos;
  }
  return avoidAt >= 0 && usable(avoid as T) ? avoidAt : -1;
}
