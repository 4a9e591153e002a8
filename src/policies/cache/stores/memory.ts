// In-process response cache: an LRU bounded by total bytes (bodies plus an estimate of everything else an
// entry holds), so a few huge responses or a flood of small ones cost the same bounded memory. Expired
// entries are never returned; they are dropped when met, by a lazy sweep that visits a slice of the
// entries at a time (no per-entry timers), or by LRU eviction. A tag index (tag → keys) follows every
// insertion and removal, whatever removed the entry.
import { type CacheStore, checkTtl, entryBytes, type StoredEntry } from "./types.ts";

export interface MemoryCacheStoreOptions {
  /** Total bytes the entries may occupy (default 64 MiB); past it the least recently used go. */
  readonly maxBytes?: number;
  /** Per-entry cap, body + meta (default 8 MiB, at most maxBytes). */
  readonly maxObjectBytes?: number;
  /** Epoch milliseconds (default Date.now); injectable for tests. */
  readonly now?: () => number;
  /** How often, on the store's clock, one sweep step runs (default 1000 ms). */
  readonly sweepIntervalMs?: number;
}

/** Map slot, key strings, tag index and object headers: a rough, deliberately generous fixed cost. */
export const ENTRY_OVERHEAD_BYTES = 256;

interface Slot {
  readonly entry: StoredEntry;
  readonly expiresAt: number;
  readonly size: number;
}

export class MemoryCacheStore implements CacheStore {
  readonly name = "memory";
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
  /** Live entries dropped to stay under maxBytes: a steady rate says maxBytes is too small. */
  evictions = 0;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  /** Map order is recency: the first entry is the least recently used. */
  private readonly slots = new Map<string, Slot>();
  private readonly tagIndex = new Map<string, Set<string>>();
  private used = 0;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  private cursor: MapIterator<[string, Slot]> | undefined;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1)
      throw new RangeError("maxBytes must be >= 1");
    this.maxObjectBytes = Math.min(options.maxObjectBytes ?? 8 * 1024 * 1024, this.maxBytes);
    if (!Number.isSafeInteger(this.maxObjectBytes) || this.maxObjectBytes < 1) {
      throw new RangeError("maxObjectBytes must be >= 1");
    }
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  }

  /** Bytes currently counted against maxBytes. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.slots.size;
  }

  get(key: string): StoredEntry | undefined {
    const now = this.tick();
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now) {
      this.remove(key, slot);
      return undefined;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.entry;
  }

  set(key: string, entry: StoredEntry, ttlMs: number): boolean {
    checkTtl(ttlMs);
    const now = this.tick();
    // Whatever happens next, the old entry has been superseded by a newer response.
    this.delete(key);
    const { bytes } = entryBytes(entry);
    if (bytes > this.maxObjectBytes) return false;
    const size = bytes + 2 * key.length + ENTRY_OVERHEAD_BYTES;
    if (size > this.maxBytes) return false;
    this.slots.set(key, { entry, expiresAt: now + ttlMs, size });
    this.used += size;
    for (const tag of entry.meta.tags) {
      const keys = this.tagIndex.get(tag);
      if (keys) keys.add(key);
      else this.tagIndex.set(tag, new Set([key]));
    }
    for (const [oldest, slot] of this.slots) {
      if (this.used <= this.maxBytes) break;
      if (slot.expiresAt > now) this.evictions++;
      this.remove(oldest, slot);
    }
    return true;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.remove(key, slot);
    return slot.expiresAt > this.now();
  }

  purgePrefix(prefix: string): number {
    const now = this.now();
    let live = 0;
    for (const [key, slot] of this.slots) {
      if (!key.startsWith(prefix)) continue;
      if (slot.expiresAt > now) live++;
      this.remove(key, slot);
    }
    return live;
  }

  purgeTag(tag: string): number {
    const keys = this.tagIndex.get(tag);
    if (!keys) return 0;
    const now = this.now();
    let live = 0;
    for (const key of [...keys]) {
      const slot = this.slots.get(key);
      if (!slot) continue;
      if (slot.expiresAt > now) live++;
      this.remove(key, slot);
    }
    return live;
  }

  close(): void {
    this.slots.clear();
    this.tagIndex.clear();
    this.used = 0;
    this.cursor = undefined;
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.used -= slot.size;
    for (const tag of slot.entry.meta.tags) {
      const keys = this.tagIndex.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.tagIndex.delete(tag);
    }
  }

  /** The clock, after one step of the lazy sweep when one is due. */
  private tick(): number {
    const now = this.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    return now;
  }

  /** Visits a slice of the entries (an eighth, at least 1000) from where the last step stopped. */
  private sweep(now: number): void {
    this.nextSweepAt = now + this.sweepIntervalMs;
    let budget = Math.max(1000, Math.ceil(this.slots.size / 8));
    this.cursor ??= this.slots.entries();
    while (budget-- > 0) {
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      const [key, slot] = next.value;
      // A Map iterator survives deletions, the current entry's included.
      if (slot.expiresAt <= now) this.remove(key, slot);
    }
  }
}
