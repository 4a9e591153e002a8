// The bound: whatever Redis does, no call waits longer than timeoutMs (asserted loosely, < 3 × timeoutMs,
// the machine is shared), and the store recovers by itself once Redis is reachable again. Faults are made
// by a proxy of our own in front of the machine's Redis; nothing here touches the Redis server itself.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisStore, type RedisStoreOptions, StoreUnavailableError } from "./redis.ts";
import { closedPort, faultTestHooks } from "./test-proxy.ts";
import type { LimitSpec } from "./types.ts";

const TIMEOUT = 100;
const BOUND = 3 * TIMEOUT;
const PREFIX = `test:portcullis:rl:${randomUUID()}:`;
const spec: LimitSpec = { kind: "sliding-window", limit: 1_000_000, windowMs: 10_000 };

const { later, proxy } = faultTestHooks(PREFIX);

function store(port: number, extra: Partial<RedisStoreOptions> = {}) {
  const states: string[] = [];
  const s = new RedisStore({
    url: `redis://127.0.0.1:${port}`,
    prefix: PREFIX,
    timeoutMs: TIMEOUT,
    reconnectMaxDelayMs: 300,
    onState: (state, reason) => states.push(reason ? `${state}: ${reason}` : state),
    ...extra,
  } as RedisStoreOptions);
  later(() => s.close());
  return { store: s, states };
}

/** Runs a call that must fail: returns its StoreUnavailableError after checking it came within the bound. */
async function failsInBound(call: () => Promise<unknown>): Promise<StoreUnavailableError> {
  const started = performance.now();
  const err = await call().then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  const elapsed = performance.now() - started;
  assert.ok(err instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${err}`);
  assert.ok(elapsed < BOUND, `rejected after ${elapsed.toFixed(0)} ms (bound ${BOUND} ms)`);
  return err;
}

/** Retries until a call succeeds (the store reconnecting by itself), at most `withinMs`. */
async function recovers(s: RedisStore, key: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await s.take(key, spec, 1);
      return;
    } catch (err) {
      assert.ok(err instanceof StoreUnavailableError);
      if (Date.now() > deadline) throw new Error(`no recovery within ${withinMs} ms: ${err.reason}`);
      await sleep(25);
    }
  }
}

describe("redis store: bounded on a stalled Redis, recovering without a restart", () => {
  test("a stall: calls reject within the bound (most at once), and succeed again once it resumes", async () => {
    const p = await proxy();
    const { store: s, states } = store(p.port);
    const key = randomUUID();
    assert.equal((await s.take(key, spec, 1)).allowed, true);
    assert.equal(s.connected, true);

    p.stall();
    const first = await failsInBound(() => s.take(key, spec, 1));
    assert.equal(first.reason, "timeout");
    assert.equal(s.connected, false);
    // While down, one call at a time probes Redis; the others do not wait at all.
    const started = performance.now();
    const burst = await Promise.allSettled(Array.from({ length: 50 }, () => s.take(key, spec, 1)));
    assert.ok(performance.now() - started < BOUND);
    assert.ok(burst.every((r) => r.status === "rejected" && r.reason instanceof StoreUnavailableError));
    for (let i = 0; i < 5; i++) await failsInBound(() => s.quota(key, 10, Date.now() + 60_000, 1));

    p.resume();
    await recovers(s, key);
    assert.equal(s.connected, true);
    assert.deepEqual(states, ["up", "down: timeout", "up"]);
  });

  test("a long stall: the dead connection is replaced, calls stay bounded, and the new one works", async () => {
    const p = await proxy();
    const { store: s } = store(p.port, { socketTimeoutMs: 300 });
    const key = randomUUID();
    await s.take(key, spec, 1);
    p.stall();
    const until = Date.now() + 1200;
    const reasons = new Set<string>();
    while (Date.now() < until) {
      reasons.add((await failsInBound(() => s.take(key, spec, 1))).reason);
      await sleep(20);
    }
    assert.ok(reasons.has("timeout"), [...reasons].join());
    assert.ok(reasons.size > 1, `the stalled connection was torn down: ${[...reasons].join()}`);
    p.resume();
    await recovers(s, key);
  });
});

describe("redis store: bounded when Redis is down, recovering when it is back", () => {
  test("connections dropped and the port closed: calls reject within the bound, then reconnect", async () => {
    const p = await proxy();
    const { store: s, states } = store(p.port);
    const key = randomUUID();
    await s.take(key, spec, 1);

    await p.down();
    for (let i = 0; i < 10; i++) {
      await failsInBound(() => s.take(key, spec, 1));
      await sleep(30);
    }
    assert.equal(s.connected, false);
    assert.equal(states[1]?.startsWith("down"), true, states.join());

    await p.up();
    await recovers(s, key);
    assert.equal(s.connected, true);
    assert.equal(states.at(-1), "up");
  });

  test("a store whose Redis was never reachable rejects within the bound from the first call", async () => {
    const port = await closedPort();
    const { store: s, states } = store(port);
    const err = await failsInBound(() => s.take(randomUUID(), spec, 1));
    assert.match(err.reason, /ECONNREFUSED|not connected|connection closed/);
    for (let i = 0; i < 5; i++) await failsInBound(() => s.lease(randomUUID(), spec, 5));
    assert.equal(s.connected, false);
    assert.equal(await s.ready(50), false);
    assert.equal(states[0]?.startsWith("down"), true);
  });

  test("errors and state reasons never carry the URL's credentials", async () => {
    const port = await closedPort();
    const secret = "pw-Zx81-do-not-log";
    const { store: s, states } = store(port, { url: `redis://gateway:${secret}@127.0.0.1:${port}/2` });
    const err = await failsInBound(() => s.take(randomUUID(), spec, 1));
    for (const text of [err.message, err.reason, err.stack ?? "", ...states]) {
      assert.ok(!text.includes(secret) && !text.includes("gateway:"), text);
    }
    assert.throws(
      () => new RedisStore({ url: `http://u:${secret}@h`, prefix: PREFIX }),
      (e: unknown) => e instanceof TypeError && !e.message.includes(secret),
    );
  });

  test("wrong credentials: calls fail within the bound with the reply's class word only", async () => {
    const p = await proxy();
    const secret = "pw-Qq42-do-not-log";
    const { store: s, states } = store(p.port, {
      url: `redis://nobody-${secret}:${secret}@127.0.0.1:${p.port}`,
    });
    const err = await failsInBound(() => s.take(randomUUID(), spec, 1));
    for (const text of [err.message, ...states]) assert.ok(!text.includes(secret), text);
    assert.ok(!s.connected);
  });

  test("after close, calls reject at once", async () => {
    const p = await proxy();
    const { store: s } = store(p.port);
    await s.take(randomUUID(), spec, 1);
    await s.close();
    const err = await failsInBound(() => s.take(randomUUID(), spec, 1));
    assert.equal(err.reason, "closed");
    assert.equal(p.connections, 0);
  });
});
