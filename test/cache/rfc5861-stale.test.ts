// RFC 5861 through RFC 9111 §4.2.4: stale-while-revalidate serves a stale entry at once and revalidates it
// in the background (one request upstream, however many clients); stale-if-error serves it when the
// upstream fails (5xx, or no answer at all). Neither ever applies where a directive forbids stale
// responses (must-revalidate, proxy-revalidate, s-maxage, no-cache) or past its window.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type CacheHarness, isHit, sleep, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(20);
  assert.ok(check(), what);
}

describe("stale-while-revalidate", () => {
  test("a stale entry within the window is served at once and revalidated in the background", async () => {
    const p = h.path();
    h.script(
      p,
      {
        headers: { "cache-control": "max-age=1, stale-while-revalidate=60", age: "5", etag: '"a"' },
        body: "old",
      },
      { headers: { "cache-control": "max-age=60", etag: '"b"' }, body: "new", delayMs: 300 },
    );
    assert.equal((await h.get(p)).body, "old");
    const stale = await h.get(p);
    assert.equal(stale.status, 200);
    assert.equal(stale.body, "old", "the stale body, without waiting for the origin");
    assert.match(stale.cacheStatus, /hit; ttl=-\d+; detail=stale-while-revalidate/);
    assert.ok(Number(stale.headers.get("age")) >= 5);
    await until(() => h.calls(p).length === 2, "the background revalidation reached the origin");
    assert.equal(h.calls(p)[1].headers["if-none-match"], '"a"', "made conditional on the stored validator");
    let fresh = await h.get(p);
    for (let i = 0; i < 50 && fresh.body !== "new"; i++) {
      await sleep(20);
      fresh = await h.get(p);
    }
    assert.equal(fresh.body, "new");
    assert.ok(isHit(fresh), "the background answer was stored");
    assert.equal(h.calls(p).length, 2);
    // The background request is logged as a request of its own.
    const requestId = (l: Record<string, unknown>) =>
      String((l.http as { request?: { id?: unknown } } | undefined)?.request?.id ?? "");
    await until(
      () => h.gw.logs().some((l) => requestId(l).endsWith("-bg")),
      "an access-log line for the background request",
    );
  });

  test("a 304 to the background revalidation refreshes the entry", async () => {
    const p = h.path();
    h.script(
      p,
      {
        headers: { "cache-control": "max-age=1, stale-while-revalidate=60", age: "5", etag: '"a"' },
        body: "kept",
      },
      { status: 304, headers: { etag: '"a"', "cache-control": "max-age=60" } },
    );
    await h.get(p);
    assert.match((await h.get(p)).cacheStatus, /stale-while-revalidate/);
    await until(() => h.calls(p).length === 2, "revalidated");
    let next = await h.get(p);
    for (let i = 0; i < 50 && !isHit(next); i++) {
      await sleep(20);
      next = await h.get(p);
    }
    assert.ok(isHit(next), next.cacheStatus);
    assert.equal(next.body, "kept");
  });

  test("concurrent stale hits start one background revalidation", async () => {
    const p = h.path();
    h.script(
      p,
      { headers: { "cache-control": "max-age=1, stale-while-revalidate=60", age: "5" }, body: "old" },
      { headers: { "cache-control": "max-age=60" }, body: "new", delayMs: 300 },
    );
    await h.get(p);
    const all = await Promise.all(Array.from({ length: 5 }, () => h.get(p)));
    assert.ok(all.every((g) => g.body === "old"));
    await sleep(400);
    assert.equal(h.calls(p).length, 2);
  });

  test("past the window, or where stale is forbidden, the request waits for the origin", async () => {
    const cases = [
      "max-age=1, stale-while-revalidate=2", // age 5 is past 1 + 2
      "max-age=1, stale-while-revalidate=60, must-revalidate",
      "max-age=1, stale-while-revalidate=60, proxy-revalidate",
      "max-age=1, s-maxage=1, stale-while-revalidate=60",
    ];
    for (const cc of cases) {
      const p = h.path();
      // With a validator, so the entry is kept past its windows for revalidation.
      h.script(p, { headers: { "cache-control": cc, age: "5", etag: '"o"' }, body: "old" }, { body: "new" });
      await h.get(p);
      const got = await h.get(p);
      assert.equal(got.body, "new", cc);
      assert.match(got.cacheStatus, /fwd=stale/, cc);
    }
  });

  test("a request's no-cache or max-age=0 is not answered stale", async () => {
    for (const cc of ["no-cache", "max-age=0"]) {
      const p = h.path();
      h.script(
        p,
        { headers: { "cache-control": "max-age=1, stale-while-revalidate=60", age: "5" }, body: "old" },
        { body: "new" },
      );
      await h.get(p);
      assert.equal((await h.get(p, { "cache-control": cc })).body, "new", cc);
    }
  });
});

describe("stale-if-error", () => {
  test("a 500, 502, 503 or 504 from the origin is replaced by the stale entry", async () => {
    for (const status of [500, 502, 503, 504]) {
      const p = h.path();
      h.script(
        p,
        {
          headers: { "cache-control": "max-age=1, stale-if-error=60", age: "5", "x-origin": "stored" },
          body: "old",
        },
        { status, headers: { "x-origin": "error" }, body: "broken" },
      );
      await h.get(p);
      const got = await h.get(p);
      assert.equal(got.status, 200, String(status));
      assert.equal(got.body, "old");
      assert.equal(got.headers.get("x-origin"), "stored");
      assert.match(got.cacheStatus, new RegExp(`fwd=stale; fwd-status=${status}; detail=stale-if-error`));
    }
  });

  test("the origin unreachable (the gateway's own 502) is an error too", async () => {
    const p = h.path();
    h.script(
      p,
      { headers: { "cache-control": "max-age=1, stale-if-error=60", age: "5" }, body: "old" },
      { reset: true },
    );
    await h.get(p);
    const got = await h.get(p);
    assert.equal(got.status, 200);
    assert.equal(got.body, "old");
    assert.equal(got.headers.get("content-type"), null, "no problem+json left over");
    assert.match(got.cacheStatus, /detail=stale-if-error/);
  });

  test("other statuses pass through; past the window, or forbidden, the error is the answer", async () => {
    const cases: [string, number][] = [
      ["max-age=1, stale-if-error=60", 404],
      ["max-age=1, stale-if-error=2", 503],
      ["max-age=1, stale-if-error=60, must-revalidate", 503],
      ["max-age=1, stale-if-error=60, no-cache", 503],
    ];
    for (const [cc, status] of cases) {
      const p = h.path();
      h.script(
        p,
        { headers: { "cache-control": cc, age: "5", etag: '"o"' }, body: "old" },
        { status, body: "error" },
      );
      await h.get(p);
      const got = await h.get(p);
      assert.equal(got.status, status, cc);
      assert.equal(got.body, "error", cc);
    }
  });

  test("a request's stale-if-error opens the window for it (RFC 5861 §4)", async () => {
    const p = h.path();
    h.script(
      p,
      { headers: { "cache-control": "max-age=1", age: "5", etag: '"e"' }, body: "old" },
      { status: 503 },
    );
    await h.get(p);
    assert.equal((await h.get(p)).status, 503);
    const got = await h.get(p, { "cache-control": "stale-if-error=60" });
    assert.equal(got.status, 200);
    assert.equal(got.body, "old");
  });
});
