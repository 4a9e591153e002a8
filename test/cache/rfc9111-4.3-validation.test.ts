// RFC 9111 §4.3 (validation): a stale entry is revalidated with a conditional request made from its own
// validators; a 304 selects the stored response, updates its fields (§3.2, §4.3.4) and it is served; a
// client's conditional request is answered 304 from a fresh entry (§4.3.2); a 200 replaces the entry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, httpDate, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

/** Stored already stale (Age past max-age), so the next request must revalidate. */
const staleWith = (validators: Record<string, string>, extra: Record<string, string> = {}) => ({
  headers: { "cache-control": "max-age=1", age: "5", ...validators, ...extra },
  body: "stored body",
});

test("a stale entry with an ETag is revalidated with If-None-Match; the 304 is answered with the stored body", async () => {
  const p = h.path();
  h.script(p, staleWith({ etag: '"v1"' }), {
    status: 304,
    headers: { etag: '"v1"', "cache-control": "max-age=60" },
  });
  assert.equal((await h.get(p)).body, "stored body");
  const second = await h.get(p);
  assert.equal(second.status, 200);
  assert.equal(second.body, "stored body");
  assert.match(second.cacheStatus, /fwd=stale; fwd-status=304/);
  const calls = h.calls(p);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].headers["if-none-match"], '"v1"');
  // The 304's Cache-Control replaced the stored one: the entry is fresh now.
  const third = await h.get(p);
  assert.ok(isHit(third), third.cacheStatus);
  assert.equal(third.body, "stored body");
  assert.equal(h.calls(p).length, 2);
});

test("Last-Modified alone is revalidated with If-Modified-Since", async () => {
  const p = h.path();
  const lm = httpDate(-3600);
  h.script(p, staleWith({ "last-modified": lm }), { status: 304, headers: { "last-modified": lm } });
  await h.get(p);
  const second = await h.get(p);
  assert.equal(second.body, "stored body");
  assert.equal(h.calls(p)[1].headers["if-modified-since"], lm);
  assert.equal(h.calls(p)[1].headers["if-none-match"], undefined);
});

test("the 304's fields replace the stored ones, except those describing the stored body (§3.2)", async () => {
  const p = h.path();
  h.script(
    p,
    staleWith({ etag: '"v1"' }, { "x-version": "a", "content-type": "text/plain", "content-language": "en" }),
    {
      status: 304,
      headers: { etag: '"v1"', "x-version": "b", "content-length": "999", "cache-control": "max-age=60" },
    },
  );
  await h.get(p);
  const second = await h.get(p);
  assert.equal(second.headers.get("x-version"), "b");
  assert.equal(second.headers.get("content-type"), "text/plain");
  assert.equal(second.headers.get("content-language"), "en");
  assert.equal(second.headers.get("content-length"), String("stored body".length));
  const third = await h.get(p);
  assert.ok(isHit(third));
  assert.equal(third.headers.get("x-version"), "b", "the update was stored");
});

test("a 200 to the revalidation replaces the stored response", async () => {
  const p = h.path();
  h.script(p, staleWith({ etag: '"v1"' }), {
    headers: { etag: '"v2"', "cache-control": "max-age=60" },
    body: "new body",
  });
  await h.get(p);
  const second = await h.get(p);
  assert.equal(second.body, "new body");
  assert.match(second.cacheStatus, /fwd=stale; fwd-status=200/);
  const third = await h.get(p);
  assert.ok(isHit(third));
  assert.equal(third.body, "new body");
});

test("a 304 whose strong ETag selects no stored response does not update it (§4.3.4)", async () => {
  const p = h.path();
  h.script(p, staleWith({ etag: '"v1"' }, { "x-version": "a" }), {
    status: 304,
    headers: { etag: '"other"', "x-version": "b", "cache-control": "max-age=60" },
  });
  await h.get(p);
  await h.get(p);
  // Not updated: the entry is still stale, so the next request revalidates again.
  const third = await h.get(p);
  assert.ok(!isHit(third));
  assert.equal(h.calls(p).length, 3);
});

test("a client's If-None-Match matching a fresh entry gets a 304 from the cache (§4.3.2), weak comparison", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", etag: 'W/"v1"', "content-type": "text/plain" } });
  await h.get(p);
  const got = await h.get(p, { "if-none-match": '"x", "v1"' });
  assert.equal(got.status, 304);
  assert.equal(got.body, "");
  assert.equal(got.headers.get("etag"), 'W/"v1"');
  assert.equal(got.headers.get("content-type"), null, "a 304 carries no representation metadata");
  assert.ok(isHit(got));
  const miss = await h.get(p, { "if-none-match": '"v2"' });
  assert.equal(miss.status, 200);
  assert.equal(h.calls(p).length, 1);
});

test("If-Modified-Since on a fresh entry: 304 when not modified since, 200 when modified", async () => {
  const p = h.path();
  const lm = httpDate(-3600);
  h.script(p, { headers: { "cache-control": "max-age=60", "last-modified": lm } });
  await h.get(p);
  assert.equal((await h.get(p, { "if-modified-since": httpDate(-60) })).status, 304);
  assert.equal((await h.get(p, { "if-modified-since": httpDate(-7200) })).status, 200);
  // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
  assert.equal(
    (await h.get(p, { "if-none-match": '"nope"', "if-modified-since": httpDate(-60) })).status,
    200,
  );
  assert.equal(h.calls(p).length, 1);
});

test("the client's own validators are replaced by the entry's; the answer follows the client's condition", async () => {
  const p = h.path();
  h.script(p, staleWith({ etag: '"v1"' }), {
    status: 304,
    headers: { etag: '"v1"', "cache-control": "max-age=60" },
  });
  await h.get(p);
  const notMine = await h.get(p, { "if-none-match": '"client-copy"' });
  assert.equal(notMine.status, 200, "the client's copy is not the stored one: it gets the whole response");
  assert.equal(notMine.body, "stored body");
  assert.equal(h.calls(p)[1].headers["if-none-match"], '"v1"');
  const p2 = h.path();
  h.script(p2, staleWith({ etag: '"v1"' }), { status: 304, headers: { etag: '"v1"' } });
  await h.get(p2);
  const mine = await h.get(p2, { "if-none-match": '"v1"' });
  assert.equal(mine.status, 304);
});

test("Cache-Control: no-cache in the response: stored, but revalidated on every use", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "no-cache", etag: '"n1"' }, body: "nc" },
    { status: 304, headers: { etag: '"n1"' } },
  );
  await h.get(p);
  for (let i = 0; i < 2; i++) {
    const got = await h.get(p);
    assert.equal(got.body, "nc");
    assert.match(got.cacheStatus, /fwd=stale; fwd-status=304/);
  }
  assert.equal(h.calls(p).length, 3);
  assert.equal(h.calls(p)[2].headers["if-none-match"], '"n1"');
});

test("a request's Cache-Control: no-cache (or Pragma: no-cache) revalidates a fresh entry", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=60", etag: '"f1"' } },
    { status: 304, headers: { etag: '"f1"' } },
  );
  await h.get(p);
  const forced = await h.get(p, { "cache-control": "no-cache" });
  assert.match(forced.cacheStatus, /fwd=request; fwd-status=304/);
  const pragma = await h.get(p, { pragma: "no-cache" });
  assert.match(pragma.cacheStatus, /fwd=request/);
  assert.equal(h.calls(p).length, 3);
});

test("must-revalidate: used while fresh, revalidated once stale", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60, must-revalidate", etag: '"m1"' } });
  await h.get(p);
  assert.ok(isHit(await h.get(p)));
  const q = h.path();
  h.script(q, staleWith({ etag: '"m1"' }, { "cache-control": "max-age=1, must-revalidate" }), {
    status: 304,
    headers: { etag: '"m1"' },
  });
  await h.get(q);
  assert.match((await h.get(q, { "cache-control": "max-stale=600" })).cacheStatus, /fwd=stale/);
});
