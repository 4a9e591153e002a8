// The bound: whatever Redis does, no get/set/delete waits longer than timeoutMs (asserted loosely,
// < 3 × timeoutMs, the machine is shared), and the store works again once Redis is reachable. Faults are
// made by a proxy of our own in front of the machine's Redis; nothing here touches the Redis server.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { closedPort, faultTestHooks } from "../../rate-limit/stores/test-proxy.ts";
import { entry } from "./conformance.ts";
import { RedisCacheStore, StoreUnavailableError } from "./redis.ts";

const TIMEOUT = 100;
const BOUND = 3 * TIMEOUT;
const PREFIX = `test:portcullis:cache:${randomUUID()}:`;

const { later, proxy } = faultTestHooks(PREFIX);

function store(port: number): RedisCacheStore {
  const s = new RedisCacheStore({
    url: `redis://127.0.0.1:${port}`,
    prefix: PREFIX,
    timeoutMs: TIMEOUT,
    purgeTimeoutMs: 2 * TIMEOUT,
    reconnectMaxDelayMs: 300,
  });
  later(() => s.close());
  return s;
}

async function failsInBound(call: () => unknown, bound = BOUND): Promise<StoreUnavailableError> {
  const started = performance.now();
  const err = await Promise.resolve()
    .then(call)
    .then(
      () => assert.fail("the call succeeded"),
      (e: unknown) => e,
    );
  const elapsed = performance.now() - started;
  assert.ok(err instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${err}`);
  assert.ok(elapsed < bound, `rejected after ${elapsed.toFixed(0)} ms (bound ${bound} ms)`);
  assert.match(err.message, /^cache store unavailable: /);
  return err;
}

async function recovers(s: RedisCacheStore, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await s.get("probe");
      return;
    } catch (err) {
      assert.ok(err instanceof StoreUnavailableError);
      if (Date.now() > deadline) throw new Error(`no recovery within ${withinMs} ms: ${err.reason}`);
      await sleep(25);
    }
  }
}

const calls = (s: RedisCacheStore): [string, () => unknown][] => [
  ["get", () => s.get("k")],
  ["set", () => s.set("k", entry("x", ["t"]), 10_000)],
  ["delete", () => s.delete("k")],
];

describe("redis cache store: bounded when Redis is unreachable", () => {
  test("Redis down: every call rejects within the bound, and works again once it is back", async () => {
    const p = await proxy();
    const s = store(p.port);
    assert.equal(await s.ready(), true);
    assert.equal(await s.set("k", entry("x", ["t"]), 10_000), true);
    await p.down();
    for (const [name, call] of calls(s)) await failsInBound(call).catch((e) => assert.fail(`${name}: ${e}`));
    await failsInBound(() => s.purgeTag("t"), 3 * 2 * TIMEOUT);
    await failsInBound(() => s.purgePrefix(""), 3 * 2 * TIMEOUT);
    await p.up();
    await recovers(s);
    assert.ok(await s.get("k"));
  });

  test("Redis stalled (partition): every call rejects within the bound, and works again after", async () => {
    const p = await proxy();
    const s = store(p.port);
    assert.equal(await s.ready(), true);
    p.stall();
    for (const [name, call] of calls(s)) {
      const err = await failsInBound(call).catch((e) => assert.fail(`${name}: ${e}`));
      assert.equal(err.reason, "timeout");
    }
    p.resume();
    await recovers(s);
  });

  test("never connected (nothing listens): calls reject within the bound with no key or address in them", async () => {
    const s = store(await closedPort());
    for (const [, call] of calls(s)) {
      const err = await failsInBound(call);
      assert.doesNotMatch(err.message, /127\.0\.0\.1|:k\b|test:portcullis/);
    }
  });

  test("a closed store refuses at once", async () => {
    const p = await proxy();
    const s = store(p.port);
    await s.close();
    const err = await failsInBound(() => s.get("k"), 20);
    assert.equal(err.reason, "closed");
  });
});
