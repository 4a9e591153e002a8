// Batching mode: instead of one Redis round trip per request, a gateway reserves `size` units at once
// and hands them out locally until they run out or `ttlMs` passes. One lease call per key is in flight
// at a time, so a gateway never holds more than `size - 1` unused units of a key.
//
// Overshoot bound (docs/policies/rate-limit.md): units are reserved in Redis before they are handed out,
// so Redis never admits more than L in any window; a unit handed out later than it was reserved can move
// into the next window. At any moment a gateway holds at most size - 1 such units per key, so across N
// gateways: admitted in any window <= L + N * (size - 1). Undershoot is bounded the same way.
import type { GuardedStore } from "./guarded-store.ts";
import type { Decision, LimitSpec } from "./stores/types.ts";

interface Lease {
  units: number;
  expiresAt: number;
  decision: Decision;
}

const REFUSED = (d: Decision): Decision => ({ ...d, allowed: false });

export class Leases {
  readonly #store: GuardedStore;
  readonly #size: number;
  readonly #ttlMs: number;
  readonly #leases = new Map<string, Lease>();
  readonly #pending = new Map<string, Promise<Decision>>();

  constructor(store: GuardedStore, size: number, ttlMs: number) {
    this.#store = store;
    this.#size = size;
    this.#ttlMs = ttlMs;
  }

  take(key: string, spec: LimitSpec): Decision | Promise<Decision> {
    const now = Date.now();
    const lease = this.#leases.get(key);
    if (lease !== undefined) {
      if (lease.units > 0 && now < lease.expiresAt) {
        lease.units--;
        return { ...lease.decision, remaining: lease.decision.remaining + lease.units };
      }
      this.#leases.delete(key);
    }
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending.then(() => this.take(key, spec));
    if (this.#leases.size > 10_000) this.sweep(now);
    const call = Promise.resolve(this.#store.lease(key, spec, this.#size)).then(({ granted, decision }) => {
      this.#pending.delete(key);
      if (granted === 0) return REFUSED(decision);
      // One unit is this request's; the rest wait here for the next ones.
      if (granted > 1)
        this.#leases.set(key, { units: granted - 1, expiresAt: Date.now() + this.#ttlMs, decision });
      return { ...decision, allowed: true, remaining: decision.remaining + granted - 1 };
    });
    call.catch(() => this.#pending.delete(key));
    this.#pending.set(key, call);
    return call;
  }

  /** Drops expired leases so idle keys do not accumulate. */
  sweep(now = Date.now()): void {
    for (const [k, l] of this.#leases) if (l.expiresAt <= now) this.#leases.delete(k);
  }
}
