// RFC 9111 §4.2 (freshness) and the request directives of §5.2.1: a fresh response is reused (max-age,
// s-maxage, Expires), a stale one is not without the origin; the client may ask for a younger response
// (max-age), one fresh for longer (min-fresh), accept a stale one (max-stale, unless the response forbids
// it), take only what is stored (only-if-cached) or keep its exchange out of the cache (no-store). Also
// the cache's own behaviour around it: HEAD from a stored GET, query order, collapsed misses.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, httpDate, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

/** Stored already stale (Age past max-age) but kept, thanks to its validator. */
const staleWith = (cacheControl = "max-age=1", extra: Record<string, string> = {}) => ({
  headers: { "cache-control": cacheControl, age: "5", etag: '"s1"', ...extra },
  body: "stale body",
});
const revalidated = {
  headers: { "cache-control": "max-age=1", age: "5", etag: '"s2"' },
  body: "from origin",
};

for (const [name, headers] of [
  ["max-age", { "cache-control": "max-age=60" }],
  ["s-maxage", { "cache-control": "s-maxage=60" }],
  ["s-maxage over a max-age=0", { "cache-control": "max-age=0, s-maxage=60" }],
  ["Expires", { expires: httpDate(60) }],
] as const) {
  test(`a fresh response is reused: ${name}`, async () => {
    const p = h.path();
    h.script(p, { headers, body: "fresh" }, { body: "second" });
    const first = await h.get(p);
    assert.ok(!isHit(first));
    for (let i = 0; i < 2; i++) {
      const got = await h.get(p);
      assert.equal(got.status, 200);
      assert.equal(got.body, "fresh");
      assert.ok(isHit(got), got.cacheStatus);
    }
    assert.equal(h.calls(p).length, 1);
  });
}

test("an Expires in the past, or max-age=0, is not reused", async () => {
  const cases: Record<string, string>[] = [{ expires: httpDate(-60) }, { "cache-control": "max-age=0" }];
  for (const headers of cases) {
    const p = h.path();
    h.script(p, { headers });
    await h.get(p);
    const got = await h.get(p);
    assert.ok(!isHit(got), got.cacheStatus);
    assert.equal(h.calls(p).length, 2);
  }
});

test("an invalid Expires means already expired; max-age takes precedence over Expires (§5.3)", async () => {
  const p = h.path();
  h.script(p, { headers: { expires: "0" } });
  await h.get(p);
  assert.ok(!isHit(await h.get(p)));
  assert.equal(h.calls(p).length, 2);
  const q = h.path();
  h.script(q, { headers: { expires: httpDate(-60), "cache-control": "max-age=60" } });
  await h.get(q);
  assert.ok(isHit(await h.get(q)));
  const r = h.path();
  h.script(r, { headers: { expires: httpDate(60), "cache-control": "max-age=0" } });
  await h.get(r);
  assert.ok(!isHit(await h.get(r)));
});

test("a stale response without a validator goes to the origin", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=1", age: "5" }, body: "old" }, { body: "new" });
  await h.get(p);
  const got = await h.get(p);
  assert.ok(!isHit(got), got.cacheStatus);
  assert.equal(got.body, "new");
  assert.equal(h.calls(p).length, 2);
});

test("the Age the response arrived with counts toward its age", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", age: "30" } });
  await h.get(p);
  const got = await h.get(p);
  assert.ok(isHit(got));
  assert.ok(Number(got.headers.get("age")) >= 30, `age ${got.headers.get("age")}`);
  assert.match(got.cacheStatus, /ttl=(2\d|30)\b/);
});

test("request max-age=N refuses a stored response older than N", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=600", age: "30" }, body: "aged" }, { body: "younger" });
  await h.get(p);
  const ok = await h.get(p, { "cache-control": "max-age=60" });
  assert.ok(isHit(ok), ok.cacheStatus);
  assert.equal(ok.body, "aged");
  assert.equal(h.calls(p).length, 1);
  const refused = await h.get(p, { "cache-control": "max-age=10" });
  assert.ok(!isHit(refused), refused.cacheStatus);
  assert.equal(refused.body, "younger");
  assert.equal(h.calls(p).length, 2);
});

test("request min-fresh=N refuses a response fresh for less than N more seconds", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" }, body: "stored" }, { body: "origin" });
  await h.get(p);
  const ok = await h.get(p, { "cache-control": "min-fresh=10" });
  assert.ok(isHit(ok), ok.cacheStatus);
  assert.equal(h.calls(p).length, 1);
  const refused = await h.get(p, { "cache-control": "min-fresh=120" });
  assert.ok(!isHit(refused), refused.cacheStatus);
  assert.equal(refused.body, "origin");
  assert.equal(h.calls(p).length, 2);
});

test("request max-stale serves a stale entry without the origin", async () => {
  const p = h.path();
  h.script(p, staleWith(), revalidated);
  await h.get(p);
  const got = await h.get(p, { "cache-control": "max-stale" });
  assert.equal(got.status, 200);
  assert.equal(got.body, "stale body");
  assert.ok(isHit(got), got.cacheStatus);
  assert.equal(h.calls(p).length, 1);
  // Without it, the stale entry is revalidated.
  const plain = await h.get(p);
  assert.ok(!isHit(plain), plain.cacheStatus);
  assert.equal(h.calls(p).length, 2);
});

test("request max-stale=N serves a stale entry only when stale by at most N seconds", async () => {
  const p = h.path();
  h.script(p, staleWith(), revalidated);
  await h.get(p);
  // Stale by about 4 seconds.
  const within = await h.get(p, { "cache-control": "max-stale=60" });
  assert.ok(isHit(within), within.cacheStatus);
  assert.equal(within.body, "stale body");
  assert.equal(h.calls(p).length, 1);
  const beyond = await h.get(p, { "cache-control": "max-stale=2" });
  assert.ok(!isHit(beyond), beyond.cacheStatus);
  assert.equal(beyond.body, "from origin");
  assert.equal(h.calls(p).length, 2);
});

for (const cc of ["max-age=1, must-revalidate", "max-age=1, proxy-revalidate", "s-maxage=1", "no-cache"]) {
  test(`request max-stale does not serve a stale response with ${cc}`, async () => {
    const p = h.path();
    h.script(p, staleWith(cc), revalidated);
    await h.get(p);
    const got = await h.get(p, { "cache-control": "max-stale" });
    assert.ok(!isHit(got), got.cacheStatus);
    assert.equal(got.body, "from origin");
    assert.equal(h.calls(p).length, 2);
    assert.equal(h.calls(p)[1].headers["if-none-match"], '"s1"');
  });
}

test("only-if-cached on a miss: 504 problem+json, and the origin is never asked", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  const got = await h.get(p, { "cache-control": "only-if-cached" });
  assert.equal(got.status, 504);
  assert.match(got.headers.get("content-type") ?? "", /^application\/problem\+json/);
  const problem = JSON.parse(got.body) as Record<string, unknown>;
  assert.equal(problem.status, 504);
  assert.equal(problem.code, "NOT_CACHED");
  assert.equal(problem.title, "Not in the cache (only-if-cached)");
  assert.match(String(problem.type), /#not_cached$/);
  assert.equal(h.calls(p).length, 0);
  // Nothing was stored either: the next plain request is a miss.
  assert.ok(!isHit(await h.get(p)));
  assert.equal(h.calls(p).length, 1);
});

test("only-if-cached on a hit answers normally", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", "x-origin": "yes" }, body: "cached" });
  await h.get(p);
  const got = await h.get(p, { "cache-control": "only-if-cached" });
  assert.equal(got.status, 200);
  assert.equal(got.body, "cached");
  assert.equal(got.headers.get("x-origin"), "yes");
  assert.ok(isHit(got), got.cacheStatus);
  assert.equal(h.calls(p).length, 1);
});

test("only-if-cached with only a stale entry: 504, the origin is not asked", async () => {
  const p = h.path();
  h.script(p, staleWith(), revalidated);
  await h.get(p);
  const got = await h.get(p, { "cache-control": "only-if-cached" });
  assert.equal(got.status, 504);
  assert.equal(h.calls(p).length, 1);
});

test("only-if-cached on a HEAD with nothing stored: 504, the origin is not asked", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  const got = await h.get(p, { "cache-control": "only-if-cached" }, "HEAD");
  assert.equal(got.status, 504);
  assert.equal(h.calls(p).length, 0);
});

test("request no-store: the response is neither served from the cache nor stored", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" }, body: "unstored" }, { body: "stored" });
  const first = await h.get(p, { "cache-control": "no-store" });
  assert.equal(first.body, "unstored");
  const second = await h.get(p);
  assert.ok(!isHit(second), "the no-store exchange was not stored");
  assert.equal(second.body, "stored");
  const q = h.path();
  h.script(
    q,
    { headers: { "cache-control": "max-age=60" }, body: "A" },
    { headers: { "cache-control": "max-age=60" }, body: "B" },
  );
  await h.get(q);
  const bypass = await h.get(q, { "cache-control": "no-store" });
  assert.ok(!isHit(bypass), bypass.cacheStatus);
  assert.equal(bypass.body, "B");
  const after = await h.get(q);
  assert.ok(isHit(after), after.cacheStatus);
  assert.equal(after.body, "A", "the no-store response did not replace the stored one");
  assert.equal(h.calls(q).length, 2);
});

test("HEAD is answered from a fresh stored GET: same fields, Content-Length, no body", async () => {
  const p = h.path();
  h.script(p, {
    headers: { "cache-control": "max-age=60", etag: '"h1"', "content-type": "text/plain", "x-thing": "1" },
    body: "twelve bytes",
  });
  const get = await h.get(p);
  const head = await h.get(p, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.ok(isHit(head), head.cacheStatus);
  assert.equal(head.headers.get("content-length"), "12");
  for (const name of ["etag", "content-type", "x-thing", "cache-control"])
    assert.equal(head.headers.get(name), get.headers.get(name), name);
  assert.equal(h.calls(p).length, 1);
});

test("HEAD is forwarded when nothing is stored, and does not store a GET response", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" }, body: "body" });
  const head = await h.get(p, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.ok(!isHit(head), head.cacheStatus);
  assert.deepEqual(
    h.calls(p).map((c) => c.method),
    ["HEAD"],
  );
  const get = await h.get(p);
  assert.ok(!isHit(get), get.cacheStatus);
  assert.equal(get.body, "body");
  assert.equal(h.calls(p).length, 2);
});

test("the order of query parameters does not split the cache; their values do", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=60" }, body: "ab" },
    { headers: { "cache-control": "max-age=60" }, body: "other" },
  );
  await h.get(`${p}?a=1&b=2`);
  const swapped = await h.get(`${p}?b=2&a=1`);
  assert.ok(isHit(swapped), swapped.cacheStatus);
  assert.equal(swapped.body, "ab");
  const different = await h.get(`${p}?a=1&b=3`);
  assert.ok(!isHit(different));
  assert.equal(different.body, "other");
  assert.equal(h.calls(p).length, 2);
});

test("concurrent misses for one key make one origin request (collapsing)", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=60" }, body: "shared", delayMs: 200 },
    { body: "second" },
  );
  const all = await Promise.all(Array.from({ length: 5 }, () => h.get(p)));
  for (const got of all) {
    assert.equal(got.status, 200);
    assert.equal(got.body, "shared");
  }
  assert.equal(h.calls(p).length, 1);
  assert.equal(all.filter((g) => isHit(g)).length, 4, all.map((g) => g.cacheStatus).join(" / "));
});
