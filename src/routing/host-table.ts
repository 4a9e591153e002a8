// Host → path indexes. Exact hosts are one Map lookup. Wildcards are found in one backward pass over the
// request host: at every dot the suffix hash so far is probed in a SliceMap, so a host with n labels costs
// n - 1 integer lookups and no string slicing, whatever the number of configured wildcards.
import { PathIndex } from "./path-index.ts";
import { FNV_SEED, finishHash, hashBackward, hashStep, SliceMap } from "./slice-map.ts";

const DOT = 46;

export class HostTable<R> {
  readonly exact = new Map<string, PathIndex<R>>();
  /** Keyed by the suffix with its leading dot: "*.example.com" → ".example.com". */
  readonly wildcard = new SliceMap<PathIndex<R>>();
  any: PathIndex<R> | null = null;
  readonly all: PathIndex<R>[] = [];

  indexFor(host: string): PathIndex<R> {
    if (host === "*") {
      this.any ??= this.created();
      return this.any;
    }
    if (!host.startsWith("*.")) {
      let index = this.exact.get(host);
      if (index === undefined) {
        index = this.created();
        this.exact.set(host, index);
      }
      return index;
    }
    const suffix = host.slice(1);
    const hash = hashBackward(suffix, 0, suffix.length);
    let index = this.wildcard.get(suffix, 0, suffix.length, hash);
    if (index === undefined) {
      index = this.created();
      this.wildcard.set(suffix, hash, index);
    }
    return index;
  }

  /**
   * Fills `out` with the indexes that serve `host`, most specific first; returns how many. A wildcard
   * needs at least one label in front of its suffix, so "*.example.com" never serves "example.com".
   */
  resolve(host: string, out: PathIndex<R>[]): number {
    let n = 0;
    if (this.exact.size > 0) {
      const e = this.exact.get(host);
      if (e !== undefined) out[n++] = e;
    }
    if (this.wildcard.size > 0) {
      const first = n;
      const end = host.length;
      let h = FNV_SEED;
      // i >= 1: a dot at index 0 would leave an empty label in front of the suffix.
      for (let i = end - 1; i >= 1; i--) {
        const c = host.charCodeAt(i);
        h = hashStep(h, c);
        if (c === DOT) {
          const w = this.wildcard.get(host, i, end, finishHash(h));
          if (w !== undefined) out[n++] = w;
        }
      }
      // Found shortest suffix first; the longest is the most specific.
      for (let a = first, b = n - 1; a < b; a++, b--) {
        const t = out[a];
        out[a] = out[b];
        out[b] = t;
      }
    }
    if (this.any !== null) out[n++] = this.any;
    return n;
  }

  private created(): PathIndex<R> {
    const index = new PathIndex<R>();
    this.all.push(index);
    return index;
  }
}
