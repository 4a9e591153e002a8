// The Redis store as the policy holds it: the connection opens when the gateway warms the plan up (or on
// first use), not when the plan is compiled, so `portcullis validate` never connects to Redis and never
// waits on it to exit.
import type { Closable, RedisSettings } from "../../pipeline/types.ts";
import { type RedisConnection, RedisStore, type RedisStoreOptions } from "./stores/redis.ts";
import type { Decision, LimiterStore, LimitSpec, QuotaDecision } from "./stores/types.ts";

/** The config's `redis` section as a connection spec (the policy checked that exactly one form is given). */
export function connectionOf(settings: RedisSettings): RedisConnection {
  if (settings.url !== undefined) return { url: settings.url };
  if (settings.sentinels !== undefined) {
    return { sentinels: settings.sentinels, name: settings.name ?? "", password: settings.password };
  }
  return { cluster: settings.cluster ?? [], password: settings.password };
}

export class LazyRedisStore implements LimiterStore, Closable {
  readonly name = "redis";
  readonly #options: RedisStoreOptions;
  #store: RedisStore | undefined;

  constructor(settings: RedisSettings, onState: RedisStoreOptions["onState"]) {
    const common = {
      prefix: settings.prefix ?? "portcullis:",
      timeoutMs: settings.timeoutMs ?? 50,
      onState,
    };
    this.#options =
      settings.url !== undefined
        ? { ...common, url: settings.url }
        : settings.sentinels !== undefined
          ? {
              ...common,
              sentinels: settings.sentinels,
              name: settings.name ?? "",
              password: settings.password,
            }
          : { ...common, cluster: settings.cluster ?? [], password: settings.password };
  }

  get store(): RedisStore {
    this.#store ??= new RedisStore(this.#options);
    return this.#store;
  }

  /** Connects; resolves once connected, rejects if not within `waitMs` (the gateway logs it). */
  async connect(waitMs: number): Promise<void> {
    if (!(await this.store.ready(waitMs))) throw new Error(`Redis not reachable within ${waitMs} ms`);
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

  close(): void {
    void this.#store?.close();
  }
}
