import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { conformance } from "./conformance.ts";
import { MemoryStore } from "./memory.ts";
import type { LimitSpec } from "./types.ts";

const T0 = 1_700_000_000_000;
const window: LimitSpec = { kind: "sliding-window", limit: 3, windowMs: 1000 };
const bucket: LimitSpec = { kind: "token-bucket", limit: 3, windowMs: 1000, capacity: 3 };

function clocked(options: { maxKeys?: number; sweepIntervalMs?: number } = {}) {
  const clock = { t: T0 };
  const store = new MemoryStore({ ...options, now: () => clock.t });
  return { clock, store };
}

describe("memory store: the shared scenarios, on an injected clock", () => {
  conformance(
    () => {
      const { clock, store } = clocked();
      return {
        store,
        now: () => clock.t,
        wait: async (ms) => {
          clock.t += ms;
        },
        drift: () => 0,
        slackMs: 0,
      };
    },
    () => "k",
  );
});

describe("memory store: behaviour of its own", () => {
  test("answers synchronously", () => {
    const { store } = clocked();
    assert.ok(!(store.take("a", window, 1) instanceof Promise));
    assert.ok(!(store.lease("a", window, 1) instanceof Promise));
    assert.ok(!(store.quota("q", 1, T0 + 1000, 1) instanceof Promise));
  });

  test("a burst of costs in one millisecond is counted exactly", () => {
    const { clock, store } = clocked();
    const spec: LimitSpec = { kind: "sliding-window", limit: 1000, windowMs: 60_000 };
    let admitted = 0;
    for (let i = 0; i < 600; i++) if (store.take("burst", spec, 2).allowed) admitted += 2;
    assert.equal(admitted, 1000);
    clock.t += 59_999;
    assert.equal(store.take("burst", spec, 1).allowed, false);
    clock.t += 1;
    assert.deepEqual(store.take("burst", spec, 1000), {
      allowed: true,
      remaining: 0,
      resetMs: 60_000,
      retryAfterMs: 0,
    });
  });

  test("a clock stepping back does not hand out units or produce negative times", () => {
    const { clock, store } = clocked();
    for (let i = 0; i < 3; i++) store.take("a", window, 1);
    clock.t -= 5000;
    const d = store.take("a", window, 1);
    assert.equal(d.allowed, false);
    assert.equal(d.retryAfterMs, 1000);
    store.take("b", bucket, 3);
    clock.t -= 5000;
    assert.equal(store.take("b", bucket, 1).allowed, false);
  });

  test("idle keys are swept once their window has passed, a slice per interval", () => {
    const { clock, store } = clocked({ sweepIntervalMs: 1000 });
    for (let i = 0; i < 5000; i++) store.take(`ip-${i}`, window, 1);
    store.take("bucket", bucket, 1);
    store.quota("quota", 10, T0 + 10 * 60_000, 1);
    assert.equal(store.size, 5002);
    for (let i = 0; i < 10; i++) {
      clock.t += 1000;
      store.take("active", window, 1);
    }
    // Each step visits at least 1000 keys: five steps clear the 5000 idle windows and the refilled bucket,
    // the quota stays (its period runs 10 minutes) and so does the key still in use.
    assert.equal(store.size, 2);
    assert.equal(store.quota("quota", 10, T0 + 10 * 60_000, 0).used, 1);
    assert.equal(store.evictions, 0);
  });

  test("a flood of distinct keys stays under the cap; a key in use survives it", () => {
    const { clock, store } = clocked({ maxKeys: 100 });
    for (let i = 0; i < 3; i++) store.take("hot", window, 1);
    for (let i = 0; i < 10_000; i++) {
      store.take(`flood-${i}`, window, 1);
      if (i % 50 === 0) assert.equal(store.take("hot", window, 1).allowed, false, "hot key kept its count");
      assert.ok(store.size <= 100);
    }
    assert.ok(store.evictions >= 9_900);
    clock.t += 1000;
    assert.equal(store.take("hot", window, 1).allowed, true);
  });

  test("a quota counter lives past its period end only for the grace minute", () => {
    const { clock, store } = clocked();
    const end = T0 + 1000;
    assert.equal(store.quota("q", 2, end, 2).used, 2);
    clock.t = end + 30_000;
    assert.deepEqual(store.quota("q", 2, end, 1), {
      allowed: false,
      remaining: 0,
      resetMs: 0,
      retryAfterMs: 1,
      used: 2,
    });
    clock.t = end + 60_001;
    assert.equal(store.quota("q", 2, end, 1).used, 1);
  });

  test("the same key under another kind starts afresh", () => {
    const { store } = clocked();
    for (let i = 0; i < 3; i++) store.take("k", window, 1);
    assert.equal(store.take("k", bucket, 3).allowed, true);
  });

  test("refuses malformed specs and costs", () => {
    const { store } = clocked();
    const bad: [() => unknown, RegExp][] = [
      [() => store.take("k", window, -1), /cost/],
      [() => store.take("k", window, 1.5), /cost/],
      [() => store.take("k", window, Number.NaN), /cost/],
      [() => store.lease("k", window, 0), /want/],
      [() => store.take("k", { kind: "sliding-window", limit: 0, windowMs: 1000 }, 1), /limit/],
      [() => store.take("k", { kind: "sliding-window", limit: 1, windowMs: 0.5 }, 1), /windowMs/],
      [() => store.take("k", { kind: "token-bucket", limit: 1, windowMs: 1000, capacity: 0 }, 1), /capacity/],
      [() => store.take("k", { kind: "fixed" } as unknown as LimitSpec, 1), /kind/],
      [() => store.quota("k", -1, T0, 1), /limit/],
      [() => store.quota("k", 1, Number.POSITIVE_INFINITY, 1), /periodEndMs/],
    ];
    for (const [call, message] of bad)
      assert.throws(call, (err: unknown) => err instanceof RangeError && message.test(err.message));
  });
});
