// A string-keyed map that can be probed with a slice of another string (a path segment, a host suffix)
// without allocating that slice. The caller hashes the slice once and may reuse the hash for every
// trie level and host group that looks the same segment up; a probe is then one integer Map lookup and a
// char-by-char comparison.

interface Entry<V> {
  readonly key: string;
  value: V;
  next: Entry<V> | null;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Keeps hashes small positive integers, which V8 stores unboxed (Smi) and hashes cheaply. */
const SMI_MASK = 0x3fffffff;

/** FNV-1a over s[start, end), left to right. */
export function hashForward(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h & SMI_MASK;
}

/** FNV-1a over s[start, end), right to left: lets a host's suffixes be hashed in one backward pass. */
export function hashBackward(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h & SMI_MASK;
}

/** For callers that hash while they scan: start from FNV_SEED, hashStep each char, then finishHash. */
export const FNV_SEED = FNV_OFFSET;
export function hashStep(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}
export function finishHash(h: number): number {
  return h & SMI_MASK;
}

/**
 * Most trie nodes have a single child, so the first key lives in fields and the Map is only created for
 * a second one: less memory and garbage at compile time, and a single-child probe skips the Map.
 */
export class SliceMap<V> {
  private first: Entry<V> | null = null;
  private firstHash = -1;
  private table: Map<number, Entry<V>> | null = null;
  private count = 0;

  /** @param hash the key's hash with the same function the lookups will use. */
  set(key: string, hash: number, value: V): void {
    if (this.first === null) {
      this.first = { key, value, next: null };
      this.firstHash = hash;
      this.count = 1;
      return;
    }
    const head = hash === this.firstHash ? this.first : (this.table?.get(hash) ?? null);
    for (let e = head; e !== null; e = e.next) {
      if (e.key === key) {
        e.value = value;
        return;
      }
    }
    this.count++;
    if (hash === this.firstHash) {
      this.first.next = { key, value, next: this.first.next };
      return;
    }
    this.table ??= new Map();
    this.table.set(hash, { key, value, next: head });
  }

  get size(): number {
    return this.count;
  }

  /** The value whose key equals s[start, end), given that slice's hash. */
  get(s: string, start: number, end: number, hash: number): V | undefined {
    let e =
      hash === this.firstHash ? this.first : this.table === null ? null : (this.table.get(hash) ?? null);
    const len = end - start;
    for (; e !== null; e = e.next) {
      const key = e.key;
      if (key.length !== len) continue;
      let i = 0;
      while (i < len && key.charCodeAt(i) === s.charCodeAt(start + i)) i++;
      if (i === len) return e.value;
    }
    return undefined;
  }
}
