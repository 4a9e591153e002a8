// A set of client addresses compiled from CIDR ranges: per family, sorted disjoint inclusive ranges in
// typed arrays, so a lookup is one binary search (14 steps for 10,000 ranges) with no allocation.
import { IPV6, V6 } from "./address.ts";
import type { CidrRange } from "./cidr.ts";

export class IpSet {
  readonly #starts4: Uint32Array;
  readonly #ends4: Uint32Array;
  /** Four words per range, most significant first. */
  readonly #starts6: Uint32Array;
  readonly #ends6: Uint32Array;
  readonly #count6: number;

  constructor(ranges: readonly CidrRange[]) {
    const v4: [bigint, bigint][] = [];
    const v6: [bigint, bigint][] = [];
    for (const r of ranges) {
      if (r.family === 4) v4.push([BigInt(r.start), BigInt(r.end)]);
      else v6.push([r.start, r.end]);
    }
    const merged4 = merge(v4);
    const merged6 = merge(v6);
    this.#starts4 = Uint32Array.from(merged4, (r) => Number(r[0]));
    this.#ends4 = Uint32Array.from(merged4, (r) => Number(r[1]));
    this.#count6 = merged6.length;
    this.#starts6 = new Uint32Array(merged6.length * 4);
    this.#ends6 = new Uint32Array(merged6.length * 4);
    merged6.forEach(([start, end], i) => {
      for (let k = 0; k < 4; k++) {
        const shift = BigInt(96 - 32 * k);
        this.#starts6[i * 4 + k] = Number((start >> shift) & 0xffffffffn);
        this.#ends6[i * 4 + k] = Number((end >> shift) & 0xffffffffn);
      }
    });
  }

  /** Disjoint ranges after merging (for tests and the bench). */
  get size(): number {
    return this.#starts4.length + this.#count6;
  }

  /** `address` is what parseAddress returned: an IPv4 number, or IPV6 with the bits in V6 (not INVALID). */
  has(address: number): boolean {
    return address === IPV6 ? this.#has6() : this.#has4(address);
  }

  #has4(a: number): boolean {
    const starts = this.#starts4;
    let lo = 0;
    let hi = starts.length;
    // Find the first start above a; the range before it is the only one that can hold a.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= a) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && a <= this.#ends4[lo - 1];
  }

  #has6(): boolean {
    const starts = this.#starts6;
    let lo = 0;
    let hi = this.#count6;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(starts, mid * 4) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && compare(this.#ends6, (lo - 1) * 4) >= 0;
  }
}

/** Sign of words[at..at+4) − V6. */
function compare(words: Uint32Array, at: number): number {
  for (let k = 0; k < 4; k++) {
    const w = words[at + k];
    const v = V6[k];
    if (w !== v) return w < v ? -1 : 1;
  }
  return 0;
}

/** Sorts and merges overlapping or adjacent ranges (compile time only, so bigint for both families). */
function merge(ranges: [bigint, bigint][]): [bigint, bigint][] {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [start, end] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1] + 1n) {
      if (end > last[1]) last[1] = end;
    } else out.push([start, end]);
  }
  return out;
}
