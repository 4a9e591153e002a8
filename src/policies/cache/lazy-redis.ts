// The Redis cache store as the policy holds it: connected at warm-up or first use, never at compile
// time (so `portcullis validate` does not touch Redis). A failing Redis makes lookups misses and stores
// no-ops, bounded by `redis.timeoutMs`: the cache never makes a request fail.
import type { RedisSettings } from "../../pipeline/types.ts";
import { LazyRedis, redisOptionsOf } from "../rate-limit/lazy-redis.ts";
import { RedisCacheStore } from "./stores/redis.ts";
import type { CacheStore, StoredEntry } from "./stores/types.ts";

export class LazyRedisCacheStore extends LazyRedis<RedisCacheStore> implements CacheStore {
  readonly name = "redis";
  readonly maxObjectBytes: number;

  constructor(settings: RedisSettings, maxObjectBytes: number) {
    super(() => new RedisCacheStore({ ...redisOptionsOf(settings, "cache:"), maxObjectBytes }));
    this.maxObjectBytes = maxObjectBytes;
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
}
