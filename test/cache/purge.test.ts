// Purge through the admin listener: by exact key (variants included), by key prefix, by surrogate key
// (tag), and by URL (the internal `url <host><path>` tag every entry carries).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

async function purge(q: string): Promise<{ status: number; body: { removed?: number } }> {
  const res = await fetch(`${h.gw.adminUrl}/cache?${q}`, { method: "DELETE" });
  return { status: res.status, body: (await res.json()) as { removed?: number } };
}
const hit = async (path: string, headers: Record<string, string> = {}) => isHit(await h.get(path, headers));
const keyOf = (path: string) => encodeURIComponent(`cached|127.0.0.1|${path}`);

test("by exact key", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  await h.get(p);
  assert.ok(await hit(p));
  assert.deepEqual(await purge(`key=${keyOf(p)}`), { status: 200, body: { removed: 1 } });
  assert.equal(await hit(p), false);
});

test("by exact key: its variants go with it", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", vary: "Accept-Language" } });
  for (const lang of ["en", "fr"]) await h.get(p, { "accept-language": lang });
  assert.ok(await hit(p, { "accept-language": "fr" }));
  assert.deepEqual((await purge(`key=${keyOf(p)}`)).body, { removed: 3 }, "the marker and two variants");
  assert.equal(await hit(p, { "accept-language": "en" }), false);
});

test("by prefix: a subtree, and a key's variants with it", async () => {
  const base = h.path("/tree");
  for (const p of [`${base}/a`, `${base}/b`]) {
    h.script(p, { headers: { "cache-control": "max-age=60", vary: "Accept-Language" } });
    await h.get(p, { "accept-language": "en" });
    await h.get(p, { "accept-language": "fr" });
  }
  assert.ok(await hit(`${base}/a`, { "accept-language": "fr" }));
  // Two keys, each a Vary marker and two variants.
  assert.deepEqual((await purge(`prefix=${keyOf(`${base}/`)}`)).body, { removed: 6 });
  assert.equal(await hit(`${base}/a`, { "accept-language": "fr" }), false);
  assert.equal(await hit(`${base}/b`, { "accept-language": "en" }), false);
});

test("by tag (Surrogate-Key), and by URL", async () => {
  const [p1, p2, p3] = [h.path(), h.path(), h.path()];
  for (const p of [p1, p2])
    h.script(p, { headers: { "cache-control": "max-age=60", "surrogate-key": "products product-7" } });
  h.script(p3, { headers: { "cache-control": "max-age=60", "surrogate-key": "products" } });
  for (const p of [p1, p2, p3]) {
    const got = await h.get(p);
    assert.equal(got.headers.get("surrogate-key"), null, "the tags are for the cache, not for clients");
  }
  assert.equal((await h.get(p1)).headers.get("surrogate-key"), null);
  assert.deepEqual((await purge("tag=product-7")).body, { removed: 2 });
  assert.equal(await hit(p1), false);
  assert.ok(await hit(p3));
  assert.deepEqual((await purge(`tag=${encodeURIComponent(`url 127.0.0.1${p3}`)}`)).body, { removed: 1 });
  assert.equal(await hit(p3), false);
});

test("exactly one of key, prefix, tag", async () => {
  assert.equal((await purge("key=a&tag=b")).status, 400);
  assert.equal((await purge("")).status, 400);
});
