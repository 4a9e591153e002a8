// The store a policy uses: Redis (or memory) behind the failure mode. When Redis fails or is slower than
// its bound, "open" lets a local in-memory limiter stand in (each gateway then enforces the limits on
// its own) and "closed" refuses with 503. Either way the event is counted and logged once per outage,
// and the next call tries Redis again: ioredis reconnects in the background.
import type { PolicyServices } from "../../pipeline/types.ts";
import type { Decision, LimiterStore, LimitSpec, QuotaDecision } from "./stores/types.ts";

export class StoreDown extends Error {}

export class GuardedStore {
  readonly #primary: LimiterStore;
  readonly #local: LimiterStore | undefined;
  readonly #services: PolicyServices;
  #down = false;

  /** `local` is the stand-in for failure mode "open"; without it, failures raise StoreDown. */
  constructor(primary: LimiterStore, local: LimiterStore | undefined, services: PolicyServices) {
    this.#primary = primary;
    this.#local = local;
    this.#services = services;
  }

  take(key: string, spec: LimitSpec, cost: number): Decision | Promise<Decision> {
    const d = this.#primary.take(key, spec, cost);
    if (!(d instanceof Promise)) return d;
    return d.then(this.#up, (err: unknown) => this.#fallback(err, (s) => s.take(key, spec, cost)));
  }

  quota(key: string, limit: number, endMs: number, cost: number): QuotaDecision | Promise<QuotaDecision> {
    const d = this.#primary.quota(key, limit, endMs, cost);
    if (!(d instanceof Promise)) return d;
    return d.then(this.#up, (err: unknown) => this.#fallback(err, (s) => s.quota(key, limit, endMs, cost)));
  }

  lease(key: string, spec: LimitSpec, want: number): ReturnType<LimiterStore["lease"]> {
    const d = this.#primary.lease(key, spec, want);
    if (!(d instanceof Promise)) return d;
    return d.then(this.#up, (err: unknown) => this.#fallback(err, (s) => s.lease(key, spec, 1)));
  }

  readonly #up = <T>(value: T): T => {
    if (this.#down) {
      this.#down = false;
      this.#services.log("info", "rate-limit store is back; limits are shared again", {
        store: this.#primary.name,
      });
      this.#services.count("rateLimit", "store-recovered");
    }
    return value;
  };

  #fallback<T>(err: unknown, local: (s: LimiterStore) => T | Promise<T>): T | Promise<T> {
    const reason = err instanceof Error ? err.message : String(err);
    this.#services.count(
      "rateLimit",
      this.#local === undefined ? "store-failed-closed" : "store-failed-open",
    );
    if (!this.#down) {
      this.#down = true;
      this.#services.log("warn", "rate-limit store unavailable", {
        store: this.#primary.name,
        reason,
        failureMode: this.#local === undefined ? "closed" : "open",
      });
    }
    if (this.#local === undefined) throw new StoreDown(reason);
    return local(this.#local);
  }
}
