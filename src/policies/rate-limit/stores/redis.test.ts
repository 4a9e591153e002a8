// Against the machine's Redis at 127.0.0.1:6379, shared with other test runs: every test works under its
// own random key prefix and deletes only its own keys.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { conformance } from "./conformance.ts";
import { RedisStore, StoreUnavailableError } from "./redis.ts";
import type { LimitSpec } from "./types.ts";

const URL = "redis://127.0.0.1:6379";
const PREFIX = `test:portcullis:rl:${randomUUID()}:`;
const fresh = (): string => randomUUID();

let admin: Redis;
const stores: RedisStore[] = [];
function store(timeoutMs = 1000): RedisStore {
  const s = new RedisStore({ url: URL, prefix: PREFIX, timeoutMs });
  stores.push(s);
  return s;
}

before(async () => {
  admin = new Redis(URL, { lazyConnect: true });
  await admin.connect();
});

after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

describe("redis store: the shared scenarios, in real time on Redis's clock", () => {
  let shared: RedisStore;
  before(async () => {
    shared = store();
    assert.equal(await shared.ready(), true);
  });
  conformance(() => {
    const start = Date.now();
    let scripted = 0;
    return {
      store: shared,
      now: Date.now,
      wait: async (ms) => {
        scripted += ms;
        // A few ms over: timers may fire a hair early relative to the clocks.
        await sleep(ms + 3);
      },
      drift: () => Date.now() - start - scripted,
      slackMs: 1,
    };
  }, fresh);
});

describe("redis store: exact under concurrency from three connections", () => {
  let three: RedisStore[];
  before(async () => {
    three = [store(), store(), store()];
    await Promise.all(three.map((s) => s.ready()));
  });

  const spread = <T>(n: number, call: (s: RedisStore, i: number) => Promise<T>): Promise<T[]> =>
    Promise.all(Array.from({ length: n }, (_, i) => call(three[i % 3], i)));

  test("sliding window: 200 concurrent takes admit exactly the limit, each remaining value once", async () => {
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 50, windowMs: 60_000 };
    const results = await spread(200, (s) => s.take(key, spec, 1));
    const admitted = results.filter((d) => d.allowed);
    assert.equal(admitted.length, 50);
    assert.deepEqual(
      admitted.map((d) => d.remaining).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(await admin.zcard(`${PREFIX}sw:${key}`), 50);
  });

  test("sliding window with costs: admitted units never exceed the limit", async () => {
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 100, windowMs: 60_000 };
    const results = await spread(200, (s, i) => s.take(key, spec, 1 + (i % 4)));
    const units = results.reduce((sum, d, i) => sum + (d.allowed ? 1 + (i % 4) : 0), 0);
    assert.ok(units <= 100 && units >= 97, `admitted ${units} units`);
    assert.equal(await admin.zcard(`${PREFIX}sw:${key}`), units);
  });

  test("token bucket: 200 concurrent takes drain exactly the capacity", async () => {
    const key = fresh();
    const spec: LimitSpec = { kind: "token-bucket", limit: 50, windowMs: 3_600_000, capacity: 50 };
    const results = await spread(200, (s) => s.take(key, spec, 1));
    assert.equal(results.filter((d) => d.allowed).length, 50);
  });

  test("quota: 200 concurrent requests count exactly to the limit", async () => {
    const key = fresh();
    const end = Date.now() + 60_000;
    const results = await spread(200, (s) => s.quota(key, 50, end, 1));
    assert.equal(results.filter((d) => d.allowed).length, 50);
    assert.equal(Number(await admin.get(`${PREFIX}q:${key}`)), 50);
  });

  test("lease: concurrent leases grant exactly the limit in total", async () => {
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 50, windowMs: 60_000 };
    const results = await spread(30, (s) => s.lease(key, spec, 7));
    assert.equal(
      results.reduce((sum, r) => sum + r.granted, 0),
      50,
    );
    assert.ok(results.every((r) => r.granted === 0 || r.decision.allowed));
  });
});

describe("redis store: what it leaves in Redis", () => {
  test("every key expires: a window after the last admission, a bucket when full, a quota after its period", async () => {
    const s = store();
    const key = fresh();
    await s.take(key, { kind: "sliding-window", limit: 5, windowMs: 30_000 }, 1);
    await s.take(key, { kind: "token-bucket", limit: 10, windowMs: 10_000, capacity: 10 }, 4);
    const end = Date.now() + 120_000;
    await s.quota(key, 5, end, 1);
    const [sw, tb, q] = await Promise.all(
      ["sw", "tb", "q"].map((kind) => admin.pttl(`${PREFIX}${kind}:${key}`)),
    );
    assert.ok(sw > 29_000 && sw <= 30_000, `window ttl ${sw}`);
    assert.ok(tb > 3_000 && tb <= 4_001, `bucket ttl ${tb} (4 tokens at 1 per second)`);
    assert.ok(q > 119_000 && q <= 120_000, `quota ttl ${q}`);
    assert.deepEqual(await admin.hkeys(`${PREFIX}tb:${key}`), ["tokens", "ts"]);
  });

  test("a quota past its period end is kept for the grace minute, on Redis's clock", async () => {
    const s = store();
    const key = fresh();
    const d = await s.quota(key, 5, Date.now() - 1000, 1);
    assert.deepEqual(d, { allowed: true, remaining: 4, resetMs: 0, retryAfterMs: 0, used: 1 });
    const ttl = await admin.pttl(`${PREFIX}q:${key}`);
    assert.ok(ttl > 59_000 && ttl <= 60_001, `ttl ${ttl}`);
  });

  test("a refusal writes nothing", async () => {
    const s = store();
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 2, windowMs: 60_000 };
    assert.equal((await s.take(key, spec, 3)).allowed, false);
    assert.equal(await admin.exists(`${PREFIX}sw:${key}`), 0);
    assert.equal((await s.quota(key, 2, Date.now() + 60_000, 3)).allowed, false);
    assert.equal(await admin.exists(`${PREFIX}q:${key}`), 0);
  });

  test("a large cost is one call and counts every unit", async () => {
    const s = store();
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 5000, windowMs: 60_000 };
    assert.deepEqual(await s.take(key, spec, 4500), {
      allowed: true,
      remaining: 500,
      resetMs: 60_000,
      retryAfterMs: 0,
    });
    assert.equal(await admin.zcard(`${PREFIX}sw:${key}`), 4500);
    assert.equal((await s.take(key, spec, 501)).allowed, false);
  });

  test("malformed arguments reject with a RangeError and touch nothing", async () => {
    const s = store();
    await assert.rejects(
      s.take(fresh(), { kind: "sliding-window", limit: 1, windowMs: 1000 }, -1),
      RangeError,
    );
    await assert.rejects(
      s.lease(fresh(), { kind: "sliding-window", limit: 1, windowMs: 1000 }, 0),
      RangeError,
    );
    await assert.rejects(s.quota(fresh(), 1, Number.NaN, 1), RangeError);
  });

  test("a reply error faults that call only: the store stays up", async () => {
    const s = store();
    const key = fresh();
    await admin.set(`${PREFIX}sw:${key}`, "not a sorted set");
    await assert.rejects(
      s.take(key, { kind: "sliding-window", limit: 1, windowMs: 1000 }, 1),
      (err: unknown) => err instanceof StoreUnavailableError && err.reason === "redis WRONGTYPE",
    );
    assert.equal(s.connected, true);
    assert.equal(
      (await s.take(fresh(), { kind: "sliding-window", limit: 1, windowMs: 1000 }, 1)).allowed,
      true,
    );
  });

  test("two stores with the same prefix share the limit; another prefix does not", async () => {
    const key = fresh();
    const spec: LimitSpec = { kind: "sliding-window", limit: 1, windowMs: 60_000 };
    const other = new RedisStore({ url: URL, prefix: `${PREFIX}other:`, timeoutMs: 1000 });
    stores.push(other);
    assert.equal((await store().take(key, spec, 1)).allowed, true);
    assert.equal((await store().take(key, spec, 1)).allowed, false);
    assert.equal((await other.take(key, spec, 1)).allowed, true);
  });
});
