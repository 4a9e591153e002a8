import assert from "node:assert/strict";
import { test } from "node:test";
import type { GuardedStore } from "./guarded-store.ts";
import { Leases } from "./leases.ts";
import type { Decision, LimitSpec } from "./stores/types.ts";

const spec: LimitSpec = { kind: "sliding-window", limit: 10, windowMs: 60_000 };
const terms = { size: 5, ttlMs: 10_000 };

/** A store that grants from a pool of `available` units, counting its calls. */
function fakeStore(available: number) {
  let left = available;
  const store = {
    calls: 0,
    lease(_key: string, _spec: LimitSpec, want: number) {
      store.calls++;
      const granted = Math.min(want, left);
      left -= granted;
      const decision: Decision = {
        allowed: granted > 0,
        remaining: left,
        resetMs: 60_000,
        retryAfterMs: granted > 0 ? 0 : 30_000,
      };
      return new Promise<{ granted: number; decision: Decision }>((r) =>
        setTimeout(() => r({ granted, decision }), 5),
      );
    },
  };
  return store;
}

test("one call leases `size` units; concurrent requests wait for it instead of calling again", async () => {
  const store = fakeStore(100);
  const leases = new Leases();
  const results = await Promise.all(
    Array.from({ length: 5 }, () => leases.take(store as unknown as GuardedStore, "k", spec, terms)),
  );
  assert.ok(results.every((d) => d.allowed));
  assert.equal(store.calls, 1);
});

test("a refusal is remembered until its Retry-After: waiters and later requests make no more calls", async () => {
  const store = fakeStore(2);
  const leases = new Leases();
  const results = await Promise.all(
    Array.from({ length: 50 }, () => leases.take(store as unknown as GuardedStore, "k", spec, terms)),
  );
  assert.equal(results.filter((d) => d.allowed).length, 2);
  assert.ok(store.calls <= 2, `${store.calls} calls`);
  const later = await leases.take(store as unknown as GuardedStore, "k", spec, terms);
  assert.equal(later.allowed, false);
  assert.ok(later.retryAfterMs > 0);
  assert.ok(store.calls <= 2);
});

test("consumers with another limit on the same key do not share a lease", async () => {
  const store = fakeStore(100);
  const leases = new Leases();
  await leases.take(store as unknown as GuardedStore, "k", spec, terms);
  await leases.take(store as unknown as GuardedStore, "k", { ...spec, limit: 50 }, terms);
  assert.equal(store.calls, 2);
});
