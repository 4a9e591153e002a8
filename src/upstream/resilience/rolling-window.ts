// Two counters over a rolling time window cut into fixed buckets (10 × 1 s by default): the breaker counts
// successes and failures, the retry budget counts requests and retries. Buckets are keyed by their absolute
// number (floor(now / bucketMs)), so an idle gap of any length drops exactly the buckets it should — the
// counts never outlive the window. Recording is O(1) unless time moved on, then O(buckets) at most.

export class RollingWindow {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly #buckets: number;
  /** Two slots per bucket: [2 * i] is channel 0, [2 * i + 1] channel 1. */
  readonly #counts: Float64Array;
  /** Absolute number of the newest bucket seen. */
  #head = Number.NEGATIVE_INFINITY;
  #sum0 = 0;
  #sum1 = 0;

  constructor(windowMs: number, buckets: number) {
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new RangeError(`buckets must be >= 1, got ${buckets}`);
    if (!(windowMs >= buckets))
      throw new RangeError(`windowMs must be >= buckets (${buckets}), got ${windowMs}`);
    this.windowMs = windowMs;
    this.bucketMs = windowMs / buckets;
    this.#buckets = buckets;
    this.#counts = new Float64Array(buckets * 2);
  }

  /** Adds one to channel 0 (successes, requests) at `now`. */
  add0(now: number): void {
    this.#counts[this.#slot(now) * 2] += 1;
    this.#sum0 += 1;
  }

  /** Adds one to channel 1 (failures, retries) at `now`. */
  add1(now: number): void {
    this.#counts[this.#slot(now) * 2 + 1] += 1;
    this.#sum1 += 1;
  }

  /** Channel 0's total over the window ending at `now`. */
  sum0(now: number): number {
    this.#slot(now);
    return this.#sum0;
  }

  /** Channel 1's total over the window ending at `now`. */
  sum1(now: number): number {
    this.#slot(now);
    return this.#sum1;
  }

  clear(): void {
    this.#counts.fill(0);
    this.#sum0 = 0;
    this.#sum1 = 0;
  }

  /** Moves the window forward to `now` and returns the bucket's slot. A clock that steps back counts
   * into the newest bucket rather than rewriting history. */
  #slot(now: number): number {
    const id = Math.floor(now / this.bucketMs);
    const head = this.#head;
    const n = this.#buckets;
    if (id <= head) return head % n;
    if (id - head >= n) {
      this.clear();
    } else {
      const counts = this.#counts;
      for (let k = head + 1; k <= id; k++) {
        const s = (k % n) * 2;
        this.#sum0 -= counts[s];
        this.#sum1 -= counts[s + 1];
        counts[s] = 0;
        counts[s + 1] = 0;
      }
    }
    this.#head = id;
    return id % n;
  }
}
