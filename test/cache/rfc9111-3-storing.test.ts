// RFC 9111 §3 (storing responses in caches): what a shared cache stores and what it must not. A response
// is "stored" when the next request for the same path is answered without going to the origin.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Answer, type CacheHarness, httpDate, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

/** Two GETs of a fresh path answered by `answer`: true when the second one was served from the cache. */
async function reused(
  answer: Answer,
  first: Record<string, string> = {},
  second: Record<string, string> = {},
) {
  const p = h.path();
  h.script(p, answer);
  const one = await h.get(p, first);
  assert.equal(one.status, answer.status ?? 200);
  const two = await h.get(p, second);
  assert.equal(two.status, answer.status ?? 200);
  const hit = isHit(two);
  // The origin numbers its answers: a reused response repeats the first one's body.
  if (answer.body === undefined) assert.equal(two.body === one.body, hit, `${one.body} / ${two.body}`);
  else assert.equal(two.body, answer.body);
  assert.equal(
    h.calls(p).length,
    hit ? 1 : 2,
    `Cache-Status ${two.cacheStatus} agrees with the origin's count`,
  );
  return hit;
}

test("no-store in the response: not stored (§3)", async () => {
  assert.equal(await reused({ headers: { "cache-control": "no-store, max-age=60" } }), false);
});

test("a no-store request: its response is not stored (§3, §5.2.1.5)", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  const first = await h.get(p, { "cache-control": "no-store" });
  assert.match(first.cacheStatus, /fwd=request/);
  assert.ok(!isHit(await h.get(p)));
  assert.equal(h.calls(p).length, 2);
});

test("private: a shared cache does not store it (§3, §5.2.2.7)", async () => {
  assert.equal(await reused({ headers: { "cache-control": "private, max-age=60" } }), false);
});

test("without explicit freshness and not heuristically cacheable (302, 599): not stored", async () => {
  assert.equal(await reused({ status: 302, headers: { location: "/elsewhere" } }), false);
  assert.equal(await reused({ status: 599 }), false);
  // Even with a Last-Modified, a 302 is not heuristically cacheable (§4.2.2).
  assert.equal(
    await reused({ status: 302, headers: { location: "/x", "last-modified": httpDate(-3600) } }),
    false,
  );
});

test("any final status with explicit freshness is stored and reused while fresh (299, 400, 500, 599)", async () => {
  for (const status of [299, 400, 500, 599]) {
    const p = h.path();
    h.script(p, { status, headers: { "cache-control": "max-age=60" }, body: `status ${status}` });
    assert.equal((await h.get(p)).status, status);
    const second = await h.get(p);
    assert.equal(second.status, status);
    assert.equal(second.body, `status ${status}`);
    assert.ok(isHit(second), `${status}: ${second.cacheStatus}`);
    assert.equal(h.calls(p).length, 1, `${status} reused`);
  }
});

test("206 Partial Content is never stored (this cache does not combine ranges)", async () => {
  const answer: Answer = {
    status: 206,
    headers: { "cache-control": "max-age=60", "content-range": "bytes 0-4/10" },
    body: "01234",
  };
  assert.equal(await reused(answer), false);
  assert.equal(await reused(answer, { range: "bytes=0-4" }, { range: "bytes=0-4" }), false);
});

test("Vary: * is never stored: it cannot match a later request (§4.1)", async () => {
  assert.equal(await reused({ headers: { "cache-control": "max-age=60", vary: "*" } }), false);
  assert.equal(await reused({ headers: { "cache-control": "max-age=60", vary: "accept, *" } }), false);
});

test("must-understand: a known status overrides no-store; an unknown one is not stored (§5.2.2.3)", async () => {
  const cc = "no-store, must-understand, max-age=60";
  assert.equal(await reused({ headers: { "cache-control": cc } }), true, "200 is understood");
  assert.equal(await reused({ status: 599, headers: { "cache-control": cc } }), false, "599 is not");
});

test("Authorization: a response to it is not reused for a request without it (§3.5)", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60" } });
  await h.get(p, { authorization: "Bearer alice" });
  assert.equal(h.calls(p)[0].headers.authorization, "Bearer alice", "forwarded as is");
  const anonymous = await h.get(p);
  assert.ok(!isHit(anonymous), anonymous.cacheStatus);
  assert.equal(h.calls(p).length, 2);
  assert.equal(h.calls(p)[1].headers.authorization, undefined);
});

test("Authorization: public, s-maxage or must-revalidate allow reuse for others (§3.5)", async () => {
  for (const cc of ["public, max-age=60", "s-maxage=60", "max-age=60, must-revalidate"]) {
    assert.equal(
      await reused({ headers: { "cache-control": cc } }, { authorization: "Bearer bob" }),
      true,
      cc,
    );
  }
});

test("heuristic freshness: a 200 with only Last-Modified is stored and reused (§4.2.2)", async () => {
  const p = h.path();
  // An hour since the last change: fresh for 10% of it, 360 s.
  h.script(p, { headers: { "last-modified": httpDate(-3600) } });
  await h.get(p);
  const second = await h.get(p);
  assert.ok(isHit(second), second.cacheStatus);
  const ttl = Number(/ttl=(-?\d+)/.exec(second.cacheStatus)?.[1]);
  assert.ok(ttl > 300 && ttl <= 360, `ttl ${ttl}`);
  assert.equal(h.calls(p).length, 1);
});

test("a 200 with neither Last-Modified nor explicit freshness is not stored", async () => {
  assert.equal(await reused({ headers: {} }), false);
});

test("a body larger than maxObjectBytes streams through whole and is not stored", async () => {
  const small = await startCacheHarness({ maxObjectBytes: 1000 });
  try {
    const big = "x".repeat(5000);
    const p = small.path();
    small.script(p, { headers: { "cache-control": "max-age=60" }, body: big });
    const first = await small.get(p);
    assert.equal(first.status, 200);
    assert.equal(first.body, big);
    const second = await small.get(p);
    assert.equal(second.body, big);
    assert.ok(!isHit(second), second.cacheStatus);
    assert.equal(small.calls(p).length, 2);
    // Within the limit it is stored.
    const q = small.path();
    small.script(q, { headers: { "cache-control": "max-age=60" }, body: "y".repeat(900) });
    await small.get(q);
    const hit = await small.get(q);
    assert.ok(isHit(hit), hit.cacheStatus);
    assert.equal(hit.body, "y".repeat(900));
    assert.equal(small.calls(q).length, 1);
  } finally {
    await small.close();
  }
});

test("Set-Cookie: not reused without public (a safe default), reused with public", async () => {
  assert.equal(
    await reused({ headers: { "cache-control": "max-age=60", "set-cookie": "sid=1; Path=/" } }),
    false,
  );
  assert.equal(
    await reused({ headers: { "cache-control": "public, max-age=60", "set-cookie": "sid=1; Path=/" } }),
    true,
  );
});
