// The Redis cache store as the policy holds it: connected at warm-up or first use, never at compile
// time (so `portcullis validate` does not touch Redis). A failing Redis makes lookups misses and stores
// no-ops, bounded by `redis.timeoutMs`: the cache never makes a request fail.
import type { Closable, RedisSettings } from "../../pipeline/types.ts";
import { connectionOf } from "../rate-limit/lazy-redis.ts";
import { RedisCacheStore } from "./stores/redis.ts";
import type { CacheStore, StoredEntry } from "./stores/types.ts";

export class LazyRedisCacheStore implements CacheStore, Closable {
  readonly name = "redis";
  readonly maxObjectBytes: number;
  readonly #settings: RedisSettings;
  #store: RedisCacheStore | undefined;

  constructor(settings: RedisSettings, maxObjectBytes: number) {
    this.#settings = settings;
    this.maxObjectBytes = maxObjectBytes;
  }

  get store(): RedisCacheStore {
    this.#store ??= new RedisCacheStore({
      ...connectionOf(this.#settings),
      prefix: `${this.#settings.prefix ?? "portcullis:"}cache:`,
      timeoutMs: this.#settings.timeoutMs ?? 50,
      maxObjectBytes: this.maxObjectBytes,
    });
    return this.#store;
  }

  async connect(waitMs: number): Promise<void> {
    if (!(await this.store.ready(waitMs))) throw new Error(`Redis not reachable within ${waitMs} ms`);
  }

  get(key: string): Promise<StoredEntry | undefined> {
    return this.store.get(key);
  }
  set(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    return this.store.set(key, entry, ttlMs);
  }
  delete(key: string): Promise<boolean> {
    return this.store.delete(key);
  }
  purgePrefix(prefix: string): Promise<number> {
    return this.store.purgePrefix(prefix);
  }
  purgeTag(tag: string): Promise<number> {
    return this.store.purgeTag(tag);
  }
  close(): void {
    void this.#store?.close();
  }
}
