// RFC 9111 §4.1 (Vary): a stored response is reused only for a request whose fields named by Vary match
// those of the request that was stored (after normalization that does not change their meaning); each
// set of values is its own variant, stored side by side; `Vary: *` always fails to match; a response
// without Vary for the same URL replaces the variants.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CacheHarness, isHit, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
before(async () => {
  h = await startCacheHarness();
});
after(() => h.close());

const varying = (body: string, vary = "Accept-Language") => ({
  headers: { "cache-control": "max-age=60", vary },
  body,
});

test("a response with Vary: Accept-Language is reused only for the same Accept-Language", async () => {
  const p = h.path();
  h.script(p, varying("english"), varying("french"));
  const first = await h.get(p, { "accept-language": "en" });
  assert.equal(first.body, "english");
  assert.ok(!isHit(first));
  const again = await h.get(p, { "accept-language": "en" });
  assert.ok(isHit(again), again.cacheStatus);
  assert.equal(again.body, "english");
  const other = await h.get(p, { "accept-language": "fr" });
  assert.ok(!isHit(other), other.cacheStatus);
  assert.match(other.cacheStatus, /fwd=vary-miss/);
  assert.equal(other.body, "french");
  assert.equal(h.calls(p).length, 2);
  assert.equal(h.calls(p)[1].headers["accept-language"], "fr");
});

test("two variants are stored side by side: each hits after its own miss", async () => {
  const p = h.path();
  h.script(p, varying("english"), varying("french"), varying("third"));
  await h.get(p, { "accept-language": "en" });
  await h.get(p, { "accept-language": "fr" });
  assert.equal(h.calls(p).length, 2);
  for (let i = 0; i < 2; i++) {
    const en = await h.get(p, { "accept-language": "en" });
    const fr = await h.get(p, { "accept-language": "fr" });
    assert.ok(isHit(en), en.cacheStatus);
    assert.ok(isHit(fr), fr.cacheStatus);
    assert.equal(en.body, "english");
    assert.equal(fr.body, "french");
  }
  assert.equal(h.calls(p).length, 2);
});

test("a request without the field is its own variant", async () => {
  const p = h.path();
  h.script(p, varying("english"), varying("none"), varying("third"));
  await h.get(p, { "accept-language": "en" });
  const bare = await h.get(p);
  assert.ok(!isHit(bare), bare.cacheStatus);
  assert.equal(bare.body, "none");
  const bareAgain = await h.get(p);
  assert.ok(isHit(bareAgain), bareAgain.cacheStatus);
  assert.equal(bareAgain.body, "none");
  assert.equal((await h.get(p, { "accept-language": "en" })).body, "english");
  assert.equal(h.calls(p).length, 2);
});

test("whitespace around commas does not split variants", async () => {
  const p = h.path();
  h.script(p, varying("list"), varying("other"));
  await h.get(p, { "accept-language": "en, fr" });
  const tight = await h.get(p, { "accept-language": "en,fr" });
  assert.ok(isHit(tight), tight.cacheStatus);
  assert.equal(tight.body, "list");
  const loose = await h.get(p, { "accept-language": "en ,  fr" });
  assert.ok(isHit(loose), loose.cacheStatus);
  // The order of the members is meaningful: not the same variant.
  const swapped = await h.get(p, { "accept-language": "fr, en" });
  assert.ok(!isHit(swapped), swapped.cacheStatus);
  assert.equal(h.calls(p).length, 2);
});

test("the case of an Accept-* value does not split variants", async () => {
  const p = h.path();
  h.script(p, varying("english"), varying("other"));
  await h.get(p, { "accept-language": "EN" });
  const lower = await h.get(p, { "accept-language": "en" });
  assert.ok(isHit(lower), lower.cacheStatus);
  assert.equal(lower.body, "english");
  assert.equal(h.calls(p).length, 1);
});

test("Vary on two fields: a variant needs both to match", async () => {
  const p = h.path();
  h.script(
    p,
    varying("en-mobile", "Accept-Language, X-Device"),
    varying("en-desktop", "Accept-Language, X-Device"),
    varying("fr-mobile", "Accept-Language, X-Device"),
  );
  await h.get(p, { "accept-language": "en", "x-device": "mobile" });
  const desktop = await h.get(p, { "accept-language": "en", "x-device": "desktop" });
  assert.ok(!isHit(desktop), desktop.cacheStatus);
  assert.equal(desktop.body, "en-desktop");
  const fr = await h.get(p, { "accept-language": "fr", "x-device": "mobile" });
  assert.ok(!isHit(fr), fr.cacheStatus);
  assert.equal(fr.body, "fr-mobile");
  assert.equal(h.calls(p).length, 3);
  const enMobile = await h.get(p, { "accept-language": "en", "x-device": "mobile" });
  const enDesktop = await h.get(p, { "accept-language": "en", "x-device": "desktop" });
  assert.ok(isHit(enMobile) && isHit(enDesktop), `${enMobile.cacheStatus} / ${enDesktop.cacheStatus}`);
  assert.equal(enMobile.body, "en-mobile");
  assert.equal(enDesktop.body, "en-desktop");
  assert.equal(h.calls(p).length, 3);
});

test("Vary: * is never served from the cache", async () => {
  const p = h.path();
  h.script(p, { headers: { "cache-control": "max-age=60", vary: "*" } });
  for (let i = 0; i < 3; i++) {
    const got = await h.get(p, { "accept-language": "en" });
    assert.equal(got.status, 200);
    assert.ok(!isHit(got), got.cacheStatus);
  }
  assert.equal(h.calls(p).length, 3);
  const q = h.path();
  h.script(q, { headers: { "cache-control": "max-age=60", vary: "Accept-Language, *" } });
  await h.get(q);
  await h.get(q);
  assert.equal(h.calls(q).length, 2, "a * among other fields counts too");
});

test("when the origin stops varying, the plain response replaces the variants", async () => {
  const p = h.path();
  h.script(p, varying("english"), { headers: { "cache-control": "max-age=60" }, body: "plain" });
  await h.get(p, { "accept-language": "en" });
  assert.ok(isHit(await h.get(p, { "accept-language": "en" })));
  const fr = await h.get(p, { "accept-language": "fr" });
  assert.equal(fr.body, "plain");
  assert.equal(h.calls(p).length, 2);
  // The plain response applies to every request now, the English one included.
  for (const lang of ["en", "fr", "de"]) {
    const got = await h.get(p, { "accept-language": lang });
    assert.ok(isHit(got), `${lang}: ${got.cacheStatus}`);
    assert.equal(got.body, "plain");
  }
  assert.ok(isHit(await h.get(p)));
  assert.equal(h.calls(p).length, 2);
});
