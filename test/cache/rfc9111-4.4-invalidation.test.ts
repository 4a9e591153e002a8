// RFC 9111 §4.4 (invalidating stored responses): a non-error (2xx, 3xx) answer to an unsafe method
// invalidates what is stored for its target URI, every variant included; the URIs in its Location and
// Content-Location may be invalidated too, but never when their origin differs from the target's; an
// error answer, or a safe method, invalidates nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Answer, type CacheHarness, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

const cached = (body: string, extra: Record<string, string> = {}): Answer => ({
  headers: { "cache-control": "max-age=60", ...extra },
  body,
});

/** Stores `path` (one origin request) and checks the next GET is a hit. */
async function store(path: string): Promise<void> {
  const first = await h.get(path);
  assert.equal(first.status, 200);
  const again = await h.get(path);
  assert.ok(isHit(again), `${path} not stored: ${again.cacheStatus}`);
}

for (const [method, answer] of [
  ["POST", { status: 201, headers: { "cache-control": "max-age=60" }, body: "created" }],
  ["PUT", { status: 204 }],
  ["DELETE", { status: 200, body: "deleted" }],
  ["PATCH", { status: 200, body: "patched" }],
  ["POST", { status: 303, headers: { location: "/elsewhere" } }],
] as const) {
  test(`a ${answer.status} to ${method} invalidates the stored response`, async () => {
    const p = h.path();
    h.script(p, cached("v1"), answer, cached("v2"));
    await store(p);
    const unsafe = await h.get(
      p,
      { "content-type": "text/plain" },
      method,
      method === "DELETE" ? undefined : "x",
    );
    assert.equal(unsafe.status, answer.status);
    assert.equal(h.calls(p)[1].method, method);
    const got = await h.get(p);
    assert.ok(!isHit(got), got.cacheStatus);
    assert.equal(got.body, "v2");
    assert.equal(h.calls(p).length, 3);
    // The new response is stored in its turn.
    assert.ok(isHit(await h.get(p)));
  });
}

test("a method whose safety the cache does not know (PROPPATCH) invalidates too", async () => {
  const p = h.path();
  h.script(p, cached("v1"), { status: 207, body: "multi" }, cached("v2"));
  await store(p);
  assert.equal((await h.get(p, {}, "PROPPATCH", "x")).status, 207);
  const got = await h.get(p);
  assert.equal(got.body, "v2");
  assert.equal(h.calls(p).length, 3);
});

for (const status of [500, 404, 409]) {
  test(`an error answer (${status}) to an unsafe method does not invalidate`, async () => {
    const p = h.path();
    h.script(p, cached("v1"), { status, body: "no" }, cached("v2"));
    await store(p);
    const unsafe = await h.get(p, {}, "POST", "x");
    assert.equal(unsafe.status, status);
    const got = await h.get(p);
    assert.ok(isHit(got), got.cacheStatus);
    assert.equal(got.body, "v1");
    assert.equal(h.calls(p).length, 2);
  });
}

test("the target URI is invalidated with its query; another query of the path is not", async () => {
  const p = h.path();
  h.script(p, cached("a"), cached("b"), { status: 204 }, cached("a2"));
  await store(`${p}?x=1&y=2`);
  await store(`${p}?x=9`);
  assert.equal((await h.get(`${p}?y=2&x=1`, {}, "POST", "x")).status, 204);
  const same = await h.get(`${p}?x=1&y=2`);
  assert.ok(!isHit(same), "the same URI, parameters in another order");
  assert.equal(same.body, "a2");
  assert.ok(isHit(await h.get(`${p}?x=9`)), "another URI");
  assert.equal(h.calls(p).length, 4);
});

for (const header of ["location", "content-location"]) {
  for (const form of ["relative", "absolute"] as const) {
    test(`a same-host ${form} ${header} is invalidated too`, async () => {
      const p = h.path();
      const q = h.path("/second");
      h.script(q, cached("q1"), cached("q2"));
      await store(q);
      const target = form === "relative" ? q : `http://127.0.0.1:${h.gw.port}${q}`;
      h.script(p, { status: 201, headers: { [header]: target }, body: "created" });
      assert.equal((await h.get(p, {}, "POST", "x")).status, 201);
      const got = await h.get(q);
      assert.ok(!isHit(got), got.cacheStatus);
      assert.equal(got.body, "q2");
      assert.equal(h.calls(q).length, 2);
    });
  }
}

test("a Location with a query invalidates that URI, whatever the parameter order", async () => {
  const p = h.path();
  const q = h.path("/second");
  h.script(q, cached("q1"), cached("q2"));
  await store(`${q}?a=1&b=2`);
  h.script(p, { status: 201, headers: { location: `${q}?b=2&a=1` } });
  await h.get(p, {}, "POST", "x");
  assert.equal((await h.get(`${q}?a=1&b=2`)).body, "q2");
});

test("a Location or Content-Location on another host is not invalidated", async () => {
  const p = h.path();
  const q = h.path("/second");
  h.script(q, cached("q1"), cached("q2"));
  await store(q);
  h.script(p, {
    status: 201,
    headers: { location: `http://other.example${q}`, "content-location": `http://localhost.example${q}` },
  });
  assert.equal((await h.get(p, {}, "POST", "x")).status, 201);
  const got = await h.get(q);
  assert.ok(isHit(got), got.cacheStatus);
  assert.equal(got.body, "q1");
  assert.equal(h.calls(q).length, 1);
});

test("a Location on the same host but another origin (port, scheme) is not invalidated", async () => {
  const p = h.path();
  const q = h.path("/second");
  const r = h.path("/third");
  h.script(q, cached("q1"), cached("q2"));
  h.script(r, cached("r1"), cached("r2"));
  await store(q);
  await store(r);
  const otherPort = h.gw.port === 1 ? 2 : h.gw.port - 1;
  h.script(p, {
    status: 201,
    headers: {
      location: `http://127.0.0.1:${otherPort}${q}`,
      "content-location": `https://127.0.0.1:${h.gw.port}${r}`,
    },
  });
  assert.equal((await h.get(p, {}, "POST", "x")).status, 201);
  const gotQ = await h.get(q);
  const gotR = await h.get(r);
  assert.ok(isHit(gotQ), `other port: ${gotQ.cacheStatus}`);
  assert.ok(isHit(gotR), `other scheme: ${gotR.cacheStatus}`);
});

test("a Location is not invalidated after an error answer", async () => {
  const p = h.path();
  const q = h.path("/second");
  h.script(q, cached("q1"), cached("q2"));
  await store(q);
  h.script(p, { status: 500, headers: { location: q, "content-location": q } });
  assert.equal((await h.get(p, {}, "POST", "x")).status, 500);
  assert.ok(isHit(await h.get(q)));
  assert.equal(h.calls(q).length, 1);
});

test("invalidation covers every variant of the URI", async () => {
  const p = h.path();
  const vary = { vary: "Accept-Language" };
  h.script(
    p,
    cached("en1", vary),
    cached("fr1", vary),
    { status: 204 },
    cached("en2", vary),
    cached("fr2", vary),
  );
  for (const lang of ["en", "fr"]) {
    await h.get(p, { "accept-language": lang });
    assert.ok(isHit(await h.get(p, { "accept-language": lang })), lang);
  }
  assert.equal(h.calls(p).length, 2);
  assert.equal((await h.get(p, {}, "PUT", "x")).status, 204);
  const en = await h.get(p, { "accept-language": "en" });
  const fr = await h.get(p, { "accept-language": "fr" });
  assert.ok(!isHit(en), en.cacheStatus);
  assert.ok(!isHit(fr), fr.cacheStatus);
  assert.equal(en.body, "en2");
  assert.equal(fr.body, "fr2");
  assert.equal(h.calls(p).length, 5);
});

test("a Location invalidates every variant of its URI", async () => {
  const p = h.path();
  const q = h.path("/second");
  const vary = { vary: "Accept-Language" };
  h.script(q, cached("en1", vary), cached("fr1", vary), cached("again", vary));
  await h.get(q, { "accept-language": "en" });
  await h.get(q, { "accept-language": "fr" });
  h.script(p, { status: 201, headers: { location: q } });
  await h.get(p, {}, "POST", "x");
  assert.ok(!isHit(await h.get(q, { "accept-language": "en" })));
  assert.ok(!isHit(await h.get(q, { "accept-language": "fr" })));
  assert.equal(h.calls(q).length, 4);
});

test("GET, HEAD and OPTIONS that reach the origin do not invalidate", async () => {
  const p = h.path();
  h.script(
    p,
    cached("v1"),
    { status: 200, headers: { allow: "GET, HEAD, OPTIONS, POST" } },
    { status: 200 },
    { status: 200, body: "not stored" },
    cached("v2"),
  );
  await store(p);
  assert.equal((await h.get(p, {}, "OPTIONS")).status, 200);
  // Forced to the origin by the request's no-cache (HEAD) and no-store (GET): not answered from the cache.
  const head = await h.get(p, { "cache-control": "no-cache" }, "HEAD");
  assert.equal(head.status, 200);
  const get = await h.get(p, { "cache-control": "no-store" });
  assert.equal(get.body, "not stored");
  assert.deepEqual(
    h.calls(p).map((c) => c.method),
    ["GET", "OPTIONS", "HEAD", "GET"],
  );
  const after = await h.get(p);
  assert.ok(isHit(after), after.cacheStatus);
  assert.equal(after.body, "v1");
  assert.equal(h.calls(p).length, 4);
});
