// RFC 9111 §5 (header fields): Age (sent on hits, parsed strictly), Cache-Control (case-insensitive
// names, quoted values), Expires and its precedence below max-age and s-maxage, Date kept as the origin
// sent it, Pragma on requests; with Surrogate-Control (Edge Architecture 1.0) and Cache-Status (RFC 9211).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, httpDate, isHit, sleep, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

/** Stores `headers` at a fresh path with one request; the second request's outcome is checked by the caller. */
async function primed(headers: Record<string, string>) {
  const p = h.path();
  h.script(p, { headers });
  const first = await h.get(p);
  assert.equal(first.status, 200);
  assert.ok(!isHit(first));
  return p;
}

/** The second request to `p` was a hit, with the origin asked once. */
async function assertHit(p: string) {
  const got = await h.get(p);
  assert.ok(isHit(got), got.cacheStatus);
  assert.equal(h.calls(p).length, 1);
  return got;
}

/** The second request to `p` went to the origin. */
async function assertForwarded(p: string) {
  const got = await h.get(p);
  assert.ok(!isHit(got), got.cacheStatus);
  assert.equal(h.calls(p).length, 2);
  return got;
}

test("Age is sent on hits, counts the origin's Age, and grows while stored (§5.1)", async () => {
  const p = await primed({ "cache-control": "max-age=60", age: "30" });
  const hit = await assertHit(p);
  const age = Number(hit.headers.get("age"));
  assert.ok(age >= 30 && age < 32, `age ${age}`);
  await sleep(1050);
  const later = await h.get(p);
  assert.ok(isHit(later));
  assert.ok(Number(later.headers.get("age")) >= 31, `age ${later.headers.get("age")}`);
  assert.equal(h.calls(p).length, 1);
});

test("Age as a list: the first member counts (§5.1)", async () => {
  await assertHit(await primed({ "cache-control": "max-age=3600", age: "0, 0" }));
  // 100 first: stale with max-age=60 (the last member, 0, would leave it fresh).
  await assertForwarded(await primed({ "cache-control": "max-age=60", age: "100, 0" }));
});

test("an invalid Age makes the response stale (§5.1)", async () => {
  for (const age of ["abc", "-1", "1.5"]) {
    await assertForwarded(await primed({ "cache-control": "max-age=3600", age }));
  }
});

test("Cache-Control directive names are case-insensitive (§5.2)", async () => {
  await assertHit(await primed({ "cache-control": "MaX-AgE=60" }));
  // Stored (it has a validator) but revalidated on every use.
  const p = await primed({ "cache-control": "No-CaChE, max-age=60", etag: '"nc"' });
  await assertForwarded(p);
  assert.equal(h.calls(p)[1].headers["if-none-match"], '"nc"', "revalidated the stored response");
  const q = await primed({ "cache-control": "max-age=60, No-StOrE" });
  await assertForwarded(q);
});

test("a quoted directive value is accepted (§5.2)", async () => {
  const hit = await assertHit(await primed({ "cache-control": 'max-age="60"' }));
  assert.match(hit.cacheStatus, /ttl=(59|60)$/);
});

test("Expires in the future without max-age: fresh (§5.3)", async () => {
  const hit = await assertHit(await primed({ expires: httpDate(120) }));
  const ttl = Number(/ttl=(\d+)/.exec(hit.cacheStatus)?.[1]);
  assert.ok(ttl > 100 && ttl <= 120, `ttl ${ttl}`);
});

test("an invalid Expires (0, garbage) means already expired (§5.3)", async () => {
  for (const expires of ["0", "garbage"]) {
    const p = await primed({ expires, etag: '"e"' });
    await assertForwarded(p);
    assert.equal(h.calls(p)[1].headers["if-none-match"], '"e"', `${expires}: stored stale, revalidated`);
  }
  await assertForwarded(await primed({ expires: httpDate(-60) }));
});

test("max-age wins over Expires (§5.3)", async () => {
  await assertHit(await primed({ "cache-control": "max-age=60", expires: httpDate(-60) }));
  await assertForwarded(await primed({ "cache-control": "max-age=1", age: "5", expires: httpDate(3600) }));
});

test("s-maxage wins over max-age and Expires in a shared cache (§5.2.2.10)", async () => {
  await assertHit(await primed({ "cache-control": "max-age=1, s-maxage=60", age: "5" }));
  await assertHit(await primed({ "cache-control": "s-maxage=60", expires: httpDate(-60) }));
  // s-maxage=0: stale at once, whatever max-age says.
  const p = await primed({ "cache-control": "max-age=60, s-maxage=0", etag: '"s0"' });
  await assertForwarded(p);
  assert.equal(h.calls(p)[1].headers["if-none-match"], '"s0"');
});

test("Date is not rewritten on hits: it is the origin's", async () => {
  const date = httpDate(-5);
  const p = await primed({ "cache-control": "max-age=60", date });
  const hit = await assertHit(p);
  assert.equal(hit.headers.get("date"), date);
});

test("Pragma: no-cache on a request without Cache-Control forces revalidation (§5.4)", async () => {
  const p = await primed({ "cache-control": "max-age=60" });
  const got = await h.get(p, { pragma: "no-cache" });
  assert.ok(!isHit(got));
  assert.match(got.cacheStatus, /fwd=request/);
  assert.equal(h.calls(p).length, 2);
  // With a Cache-Control in the request, Pragma is ignored.
  const withCc = await h.get(p, { pragma: "no-cache", "cache-control": "max-stale=10" });
  assert.ok(isHit(withCc), withCc.cacheStatus);
  assert.equal(h.calls(p).length, 2);
});

test("Surrogate-Control replaces Cache-Control for this cache and is not sent to clients", async () => {
  const p = await primed({ "surrogate-control": "max-age=60", "cache-control": "no-store" });
  assert.equal(h.calls(p).length, 1);
  const hit = await assertHit(p);
  assert.equal(hit.headers.get("surrogate-control"), null);
  assert.equal(hit.headers.get("cache-control"), "no-store", "Cache-Control is for the clients");
  const q = h.path();
  h.script(q, { headers: { "surrogate-control": "no-store", "cache-control": "max-age=60" } });
  const miss = await h.get(q);
  assert.equal(miss.headers.get("surrogate-control"), null, "removed on a miss too");
  await assertForwarded(q);
});

test("Cache-Status (RFC 9211): uri-miss on a miss, hit with its ttl on a hit", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  assert.equal((await h.get(p)).cacheStatus, "Portcullis; fwd=uri-miss");
  assert.match((await h.get(p)).cacheStatus, /^Portcullis; hit; ttl=(59|60)$/);
  assert.equal(h.calls(p).length, 1);
});

test("Cache-Status (RFC 9211): fwd=method on a POST", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  const post = await h.get(p, { "content-type": "text/plain" }, "POST", "x");
  assert.equal(post.status, 200);
  assert.equal(h.calls(p).length, 1);
  assert.equal(h.calls(p)[0].method, "POST");
  assert.equal(post.cacheStatus, "Portcullis; fwd=method");
});

test("Cache-Status (RFC 9211): fwd=method on a method the cache does not serve (OPTIONS)", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  const got = await h.get(p, {}, "OPTIONS");
  assert.equal(got.cacheStatus, "Portcullis; fwd=method");
  assert.equal(h.calls(p)[0].method, "OPTIONS");
});

test("a Date in the past counts as age (apparent_age, §4.2.3)", async () => {
  // Received 120 s after its Date, with max-age=60 and no Age: corrected_initial_age is 120, stale.
  await assertForwarded(await primed({ "cache-control": "max-age=60", date: httpDate(-120) }));
});
