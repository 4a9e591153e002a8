// The Redis store shared by two gateways: what one stores, revalidates, varies or invalidates, the other
// sees; bodies are binary-safe. Keys live under a prefix of their own, so parallel runs do not meet.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { type CacheHarness, isHit, sleep, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness(
    { store: "redis" },
    { config: { redis: { url: "redis://127.0.0.1:6379", prefix: `test:${randomUUID()}:` } }, gateways: 2 },
  );
});
after(() => h.close());

/**
 * The store completes after the response has gone: ask the other gateway with only-if-cached (a 504
 * until the entry is there, never a request to the origin) until it hits.
 */
async function hitVia(n: number, path: string, headers: Record<string, string> = {}) {
  const ask = () => h.getVia(n, path, { ...headers, "cache-control": "only-if-cached" });
  let got = await ask();
  for (let i = 0; i < 50 && !isHit(got); i++) {
    await sleep(20);
    got = await ask();
  }
  return got;
}

test("an entry stored by one gateway is served by the other, with its Age", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", age: "10" }, body: "shared" });
  await h.getVia(0, p);
  const got = await hitVia(1, p);
  assert.ok(isHit(got));
  assert.equal(got.body, "shared");
  assert.ok(Number(got.headers.get("age")) >= 10);
  assert.equal(h.calls(p).length, 1);
});

test("bodies are binary-safe: every byte value, through the other gateway", async () => {
  const p = h.path();
  const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
  h.script(p, {
    headers: { "cache-control": "max-age=60", "content-type": "application/octet-stream" },
    body: bytes,
  });
  assert.deepEqual((await h.getVia(0, p)).raw, bytes);
  const got = await hitVia(1, p);
  assert.ok(isHit(got));
  assert.deepEqual(got.raw, bytes);
});

test("a revalidation through one gateway refreshes the entry for the other", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=1", age: "5", etag: '"r1"', "x-v": "1" }, body: "body" },
    { status: 304, headers: { etag: '"r1"', "cache-control": "max-age=60", "x-v": "2" } },
  );
  await h.getVia(0, p);
  const revalidated = await h.getVia(1, p);
  assert.match(revalidated.cacheStatus, /fwd=stale; fwd-status=304/);
  assert.equal(h.calls(p)[1].headers["if-none-match"], '"r1"');
  const got = await hitVia(0, p);
  assert.ok(isHit(got));
  assert.equal(got.headers.get("x-v"), "2");
  assert.equal(got.body, "body");
});

test("variants stored by either gateway are found by both", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", vary: "Accept-Language" }, body: "v" });
  await h.getVia(0, p, { "accept-language": "en" });
  await sleep(50);
  await h.getVia(1, p, { "accept-language": "fr" });
  assert.ok(isHit(await hitVia(1, p, { "accept-language": "en" })));
  assert.ok(isHit(await hitVia(0, p, { "accept-language": "fr" })));
  assert.equal(h.calls(p).length, 2);
});

test("an unsafe method through one gateway invalidates the entry for the other", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=60" }, body: "before" },
    { status: 204 },
    {
      headers: { "cache-control": "max-age=60" },
      body: "after",
    },
  );
  await h.getVia(0, p);
  assert.ok(isHit(await hitVia(1, p)));
  assert.equal((await h.getVia(0, p, {}, "DELETE")).status, 204);
  await sleep(50);
  const got = await h.getVia(1, p);
  assert.equal(got.body, "after");
  assert.equal(h.calls(p).length, 3);
});
