// A Redis store as a policy holds it: the connection opens when the gateway warms the plan up (or on
// first use), not when the plan is compiled, so `portcullis validate` never connects to Redis and never
// waits on it to exit. The rate-limit and the cache store both build on LazyRedis.
import type { Closable, RedisSettings } from "../../pipeline/types.ts";
import { RedisStore, type RedisStoreOptions } from "./stores/redis.ts";
import type { RedisClientOptions, RedisConnection } from "./stores/redis-connection.ts";
import type { Decision, LimiterStore, LimitSpec, QuotaDecision } from "./stores/types.ts";

/** The config's `redis` section as a connection spec (the policy checked that exactly one form is given). */
function connectionOf(settings: RedisSettings): RedisConnection {
  if (settings.url !== undefined) return { url: settings.url };
  if (settings.sentinels !== undefined) {
    return { sentinels: settings.sentinels, name: settings.name ?? "", password: settings.password };
  }
  return { cluster: settings.cluster ?? [], password: settings.password };
}

/** A store's options from the `redis` section: its keys go under the configured prefix + `namespace`. */
export function redisOptionsOf(
  settings: RedisSettings,
  namespace: string,
): RedisConnection & RedisClientOptions {
  return {
    ...connectionOf(settings),
    prefix: `${settings.prefix ?? "portcullis:"}${namespace}`,
    timeoutMs: settings.timeoutMs ?? 50,
  };
}

interface RedisBacked {
  ready(waitMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the store on first use; `connect` is the warm-up, `close` the plan's teardown. */
export class LazyRedis<S extends RedisBacked> implements Closable {
  readonly #open: () => S;
  #store: S | undefined;

  constructor(open: () => S) {
    this.#open = open;
  }

  get store(): S {
    this.#store ??= this.#open();
    return this.#store;
  }

  /** Connects; resolves once connected, rejects if not within `waitMs` (the gateway logs it). */
  async connect(waitMs: number): Promise<void> {
    if (!(await this.store.ready(waitMs))) throw new Error(`Redis not reachable within ${waitMs} ms`);
  }

  close(): void {
    void this.#store?.close();
  }
}

export class LazyRedisStore extends LazyRedis<RedisStore> implements LimiterStore {
  readonly name = "redis";

  constructor(settings: RedisSettings, onState: RedisStoreOptions["onState"]) {
    super(() => new RedisStore({ ...redisOptionsOf(settings, "rl:"), onState }));
  }

  take(key: string, spec: LimitSpec, cost: number): Promise<Decision> {
    return this.store.take(key, spec, cost);
  }

  quota(key: string, limit: number, periodEndMs: number, cost: number): Promise<QuotaDecision> {
    return this.store.quota(key, limit, periodEndMs, cost);
  }

  lease(key: string, spec: LimitSpec, want: number): Promise<{ granted: number; decision: Decision }> {
    return this.store.lease(key, spec, want);
  }
}
