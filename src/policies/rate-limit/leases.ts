// Batching mode: instead of one Redis round trip per request, a gateway reserves `size` units at once
// and hands them out locally until they run out or `ttlMs` passes. One lease call per key is in flight
// at a time, so a gateway never holds more than `size - 1` unused units of a key; the table is shared by
// every plan (a reload does not start a second set of leases for the same keys).
//
// Overshoot bound (docs/policies/rateLimit.md): units are reserved in Redis before they are handed out,
// so Redis never admits more than L in any window; a unit handed out later than it was reserved can move
// into the next window. At any moment a gateway holds at most size - 1 such units per key, so across N
// gateways: admitted in any window <= L + N * (size - 1). Undershoot is bounded the same way.
import type { Closable } from "../../pipeline/types.ts";
import type { Decision, LimiterStore, LimitSpec } from "./stores/types.ts";

interface Lease {
  units: number;
  expiresAt: number;
  decision: Decision;
  /** Redis said no: answer refusals locally until expiresAt (the Retry-After) instead of asking again. */
  refused: boolean;
}

export interface LeaseTerms {
  readonly size: number;
  readonly ttlMs: number;
}

export class Leases implements Closable {
  readonly #leases = new Map<string, Lease>();
  readonly #pending = new Map<string, Promise<unknown>>();
  #nextSweepAt = 0;

  /** `store` is the policy's guarded store: a failure there has already become a stand-in or StoreDown. */
  take(
    store: Pick<LimiterStore, "lease">,
    key: string,
    spec: LimitSpec,
    terms: LeaseTerms,
  ): Decision | Promise<Decision> {
    // Consumers with overridden limits share a Redis key but not a lease.
    const local = `${key}#${spec.limit}`;
    const now = Date.now();
    const lease = this.#leases.get(local);
    if (lease !== undefined) {
      if (now < lease.expiresAt) {
        if (lease.refused) return { ...lease.decision, allowed: false, retryAfterMs: lease.expiresAt - now };
        if (lease.units > 0) {
          lease.units--;
          return { ...lease.decision, remaining: lease.decision.remaining + lease.units };
        }
      }
      this.#leases.delete(local);
    }
    const pending = this.#pending.get(local);
    if (pending !== undefined) return pending.then(() => this.take(store, key, spec, terms));
    // At most once a second: with many live leases a sweep per new lease would cost O(leases) a request.
    if (this.#leases.size > 10_000 && now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + 1000;
      this.sweep(now);
    }
    const call = Promise.resolve(store.lease(key, spec, terms.size)).then(({ granted, decision }) => {
      this.#pending.delete(local);
      const at = Date.now();
      if (granted === 0) {
        const until = at + Math.max(1, Math.min(decision.retryAfterMs, terms.ttlMs));
        this.#leases.set(local, { units: 0, expiresAt: until, decision, refused: true });
        return { ...decision, allowed: false };
      }
      // One unit is this request's; the rest wait here for the next ones.
      if (granted > 1) {
        this.#leases.set(local, {
          units: granted - 1,
          expiresAt: at + terms.ttlMs,
          decision,
          refused: false,
        });
      }
      return { ...decision, allowed: true, remaining: decision.remaining + granted - 1 };
    });
    call.catch(() => this.#pending.delete(local));
    this.#pending.set(local, call);
    return call;
  }

  /** Drops expired leases so idle keys do not accumulate. */
  sweep(now = Date.now()): void {
    for (const [k, l] of this.#leases) if (l.expiresAt <= now) this.#leases.delete(k);
  }

  close(): void {
    this.#leases.clear();
  }
}
