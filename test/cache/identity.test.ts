// RFC 9111 §3.5 for a gateway that knows its clients: a response to a credentialed request (here an API
// key checked by the authenticate policy) is never served to another consumer or to anonymous clients,
// unless the response says it may be shared, or the route keys its cache per consumer.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hashApiKey } from "../../src/consumers/hash.ts";
import { type CacheHarness, isHit, startCacheHarness } from "./harness.ts";

const ALICE = "pk_alice_0123456789abcdefghijklmnopqrstuvwxyz";
const BOB = "pk_bob_0123456789abcdefghijklmnopqrstuvwxyzab";
const alice = { "x-api-key": ALICE };
const bob = { "x-api-key": BOB };

const extras = {
  config: {
    consumers: [
      { name: "alice", credentials: { apiKeys: [hashApiKey(ALICE)] } },
      { name: "bob", credentials: { apiKeys: [hashApiKey(BOB)] } },
    ],
  },
  policies: { authenticate: { methods: [{ apiKey: {} }], anonymous: true } },
};

describe("a shared key", () => {
  let h: CacheHarness;
  before(async () => {
    h = await startCacheHarness({}, extras);
  });
  after(() => h.close());

  test("two consumers never see each other's response, nor do anonymous clients", async () => {
    const p = h.path();
    h.script(p, { headers: { "cache-control": "max-age=60" } });
    const a = await h.get(p, alice);
    const b = await h.get(p, bob);
    const a2 = await h.get(p, alice);
    const anon = await h.get(p);
    for (const got of [a, b, a2, anon]) assert.ok(!isHit(got), got.cacheStatus);
    assert.deepEqual(
      h.calls(p).map((c) => c.headers["x-consumer-name"] ?? "-"),
      ["alice", "bob", "alice", "-"],
      "every request went to the origin as itself",
    );
    assert.notEqual(a.body, b.body);
  });

  test("a response to an anonymous request holds nobody's data: it is shared, consumers included", async () => {
    const p = h.path();
    h.script(p, { headers: { "cache-control": "max-age=60" } });
    await h.get(p);
    assert.ok(isHit(await h.get(p)));
    assert.ok(isHit(await h.get(p, alice)));
    assert.equal(h.calls(p).length, 1);
  });

  for (const cc of ["public, max-age=60", "s-maxage=60", "max-age=60, must-revalidate"]) {
    test(`unless the response says it may be shared (${cc})`, async () => {
      const p = h.path();
      h.script(p, { headers: { "cache-control": cc } });
      await h.get(p, alice);
      const b = await h.get(p, bob);
      assert.ok(isHit(b), b.cacheStatus);
      assert.equal(h.calls(p).length, 1);
    });
  }

  test("private is never stored, whoever asks", async () => {
    const p = h.path();
    h.script(p, { headers: { "cache-control": "private, max-age=60" } });
    await h.get(p, alice);
    assert.ok(!isHit(await h.get(p, alice)));
    assert.equal(h.calls(p).length, 2);
  });
});

describe("key.consumer: true", () => {
  let h: CacheHarness;
  before(async () => {
    h = await startCacheHarness({ key: { consumer: true } }, extras);
  });
  after(() => h.close());

  test("each consumer gets its own stored response, and only its own", async () => {
    const p = h.path();
    h.script(p, { headers: { "cache-control": "max-age=60" } });
    const a = await h.get(p, alice);
    const b = await h.get(p, bob);
    const a2 = await h.get(p, alice);
    const b2 = await h.get(p, bob);
    assert.ok(isHit(a2) && isHit(b2));
    assert.equal(a2.body, a.body);
    assert.equal(b2.body, b.body);
    assert.notEqual(a.body, b.body);
    const anon = await h.get(p);
    assert.ok(!isHit(anon), "anonymous requests have a key of their own");
    assert.equal(h.calls(p).length, 3);
  });
});
