// What a response-cache store does: keep whole responses (metadata + binary body) for a bounded time,
// find them again by key, and forget them by key, key prefix or tag (surrogate key). The memory store
// answers synchronously; the Redis store shares entries between gateways.

export interface EntryMeta {
  readonly status: number;
  /** In received order, repeats kept (several Set-Cookie, Vary...). */
  readonly headers: readonly (readonly [name: string, value: string])[];
  /** The http-cache-semantics policy object (CachePolicy#toObject()), opaque JSON to the store. */
  readonly policy: unknown;
  /** When the response was stored (epoch ms). */
  readonly storedAt: number;
  /** Surrogate keys, for purgeTag. */
  readonly tags: readonly string[];
  /**
   * Set on a Vary marker, which stands at the primary key in place of a response: the selecting field
   * names its variants are stored under (key.ts variantKey).
   */
  readonly vary?: { readonly fields: readonly string[] };
}

export interface StoredEntry {
  readonly meta: EntryMeta;
  /** Binary-safe; the memory store keeps this Buffer as given, so callers must not reuse it. */
  readonly body: Buffer;
}

export interface CacheStore {
  readonly name: "memory" | "redis";
  /** Per-entry cap (body bytes + serialized meta bytes): set() of a larger entry stores nothing. */
  readonly maxObjectBytes: number;
  get(key: string): Promise<StoredEntry | undefined> | StoredEntry | undefined;
  /**
   * Stores (or replaces) the entry for at most `ttlMs` (freshness plus any stale allowances; > 0).
   * Resolves false when the entry is over maxObjectBytes and nothing was stored.
   */
  set(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> | boolean;
  /** True when an entry was removed. */
  delete(key: string): Promise<boolean> | boolean;
  /** Removes every entry whose key starts with `prefix` (taken literally); returns how many. */
  purgePrefix(prefix: string): Promise<number> | number;
  /** Removes every entry carrying `tag`; returns how many. */
  purgeTag(tag: string): Promise<number> | number;
  close(): Promise<void> | void;
}

/** The bytes an entry counts against maxObjectBytes: body plus the meta as the Redis store writes it. */
export function entryBytes(entry: StoredEntry): { readonly metaJson: string; readonly bytes: number } {
  const metaJson = JSON.stringify(entry.meta);
  return { metaJson, bytes: entry.body.length + Buffer.byteLength(metaJson) };
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError("ttlMs must be a finite number > 0");
}
