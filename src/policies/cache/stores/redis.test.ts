// Against the machine's Redis at 127.0.0.1:6379, shared with other test runs: every test works under its
// own random key prefix and deletes only its own keys.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { conformance, entry, type HarnessOptions } from "./conformance.ts";
import { escapeGlob, RedisCacheStore } from "./redis.ts";

const URL = "redis://127.0.0.1:6379";
const ROOT = `test:portcullis:cache:${randomUUID()}:`;

let admin: Redis;
const stores: RedisCacheStore[] = [];

async function store(options: HarnessOptions = {}): Promise<{ store: RedisCacheStore; prefix: string }> {
  const prefix = `${ROOT}${randomUUID()}:`;
  const s = new RedisCacheStore({ url: URL, prefix, timeoutMs: 1000, ...options });
  stores.push(s);
  assert.equal(await s.ready(), true);
  return { store: s, prefix };
}

before(async () => {
  admin = new Redis(URL, { lazyConnect: true });
  await admin.connect();
});

after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const keys = await admin.keys(`${escapeGlob(ROOT)}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

describe("redis cache store: the shared behaviours, in real time", () => {
  conformance(async (options) => ({ store: (await store(options)).store, wait: (ms) => sleep(ms) }));
});

describe("redis cache store: behaviour of its own", () => {
  test("every key it writes is under its prefix: one hash per entry, one set per tag", async () => {
    const { store: s, prefix } = await store();
    await s.set("GET:/a", entry("x", ["t1", "t2"]), 60_000);
    const keys = (await admin.keys(`${escapeGlob(prefix)}*`)).sort();
    assert.deepEqual(keys, [`${prefix}e:GET:/a`, `${prefix}t:t1`, `${prefix}t:t2`]);
    assert.equal(await admin.type(`${prefix}e:GET:/a`), "hash");
    const ttl = await admin.pttl(`${prefix}e:GET:/a`);
    assert.ok(ttl > 59_000 && ttl <= 60_000, `entry pttl ${ttl}`);
  });

  test("a tag set lives at least as long as the longest-lived entry added to it", async () => {
    const { store: s, prefix } = await store();
    await s.set("long", entry("x", ["t"]), 60_000);
    await s.set("short", entry("y", ["t"]), 1000);
    const ttl = await admin.pttl(`${prefix}t:t`);
    assert.ok(ttl > 59_000, `tag set pttl ${ttl} shrank`);
    await s.set("longer", entry("z", ["t"]), 120_000);
    assert.ok((await admin.pttl(`${prefix}t:t`)) > 119_000);
  });

  test("overwriting and deleting take the key out of the sets of tags it no longer carries", async () => {
    const { store: s, prefix } = await store();
    await s.set("k", entry("x", ["a", "b"]), 60_000);
    await s.set("k", entry("y", ["b"]), 60_000);
    assert.equal(await admin.sismember(`${prefix}t:a`, `${prefix}e:k`), 0);
    assert.equal(await admin.sismember(`${prefix}t:b`, `${prefix}e:k`), 1);
    await s.delete("k");
    assert.equal(await admin.exists(`${prefix}t:b`), 0);
  });

  test("a stale tag-set member (written by hand) purges nothing; purgeTag empties what it read", async () => {
    const { store: s, prefix } = await store();
    await s.set("k", entry("x", ["other"]), 60_000);
    await admin.sadd(`${prefix}t:t`, `${prefix}e:k`, `${prefix}e:missing`);
    assert.equal(await s.purgeTag("t"), 0);
    assert.ok(await s.get("k"));
    assert.equal(await admin.exists(`${prefix}t:t`), 0);
  });

  test("purges visit large sets and keyspaces in batches", async () => {
    const { store: s } = await store();
    const n = 2500;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.set(`p/${i}`, entry(String(i), [i % 2 ? "odd" : "even"]), 60_000),
      ),
    );
    assert.equal(await s.purgeTag("odd"), n / 2);
    assert.equal(await s.purgePrefix("p/"), n / 2);
    assert.equal(await s.get("p/0"), undefined);
  });

  test("glob escaping covers every SCAN pattern character", () => {
    assert.equal(escapeGlob("a*b?c[d]e\\f^g-h"), "a\\*b\\?c\\[d\\]e\\\\f^g-h");
  });

  test("a corrupt meta field is reported, not returned", async () => {
    const { store: s, prefix } = await store();
    await admin.hset(`${prefix}e:k`, "meta", "{not json", "body", "x");
    await assert.rejects(Promise.resolve(s.get("k")), {
      name: "StoreUnavailableError",
      reason: "unexpected reply",
    });
  });

  test("option checks", () => {
    assert.throws(() => new RedisCacheStore({ url: URL, prefix: "p:", timeoutMs: 0 }), RangeError);
    assert.throws(() => new RedisCacheStore({ url: "http://x", prefix: "p:" }), /cache redis: .*redis:\/\//);
  });
});
