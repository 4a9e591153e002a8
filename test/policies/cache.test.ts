// The cache policy's first cut through a real gateway and origin: fresh responses are served from the
// cache with Age and Cache-Status; what must not be stored is not; Vary splits variants; credentialed
// responses are never served to another client unless the response allows it; unsafe methods
// invalidate (RFC 9111 §4.4); bodies over the cap stream through uncached.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { hashApiKey } from "../../src/consumers/hash.ts";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

const ALICE = "pk_alice_0123456789abcdefghijklmnopqrstuvwxyz";
const BOB = "pk_bob_0123456789abcdefghijklmnopqrstuvwxyzab";

let origin: TestUpstream;
let gw: TestGateway;
let counter = 0;

async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(`${gw.url}${path}`, { method, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const originCalls = (path: string) => origin.seen.filter((s) => s.url === path).length;

before(async () => {
  origin = await startUpstream((req, res) => {
    counter++;
    const url = req.url ?? "/";
    const cc: Record<string, string> = {
      "/fresh": "max-age=60",
      "/nostore": "no-store",
      "/private": "private, max-age=60",
      "/vary": "max-age=60",
      "/big": "max-age=60",
      "/mine": "max-age=60",
      "/public-mine": "public, max-age=60",
      "/posted": "max-age=60",
    };
    const headers: Record<string, string> = {
      "content-type": "text/plain",
      "cache-control": cc[url.split("?")[0]] ?? "max-age=60",
    };
    if (url === "/vary") headers.vary = "Accept-Language";
    if (url.startsWith("/tagged")) headers["surrogate-key"] = "products product-7";
    const body =
      url === "/big"
        ? "x".repeat(200_000)
        : `${url} #${counter} lang=${req.headers["accept-language"] ?? "-"} consumer=${req.headers["x-consumer-name"] ?? "-"}`;
    // The collapsing test needs the first request to still be at the origin when the others arrive.
    const wait = url === "/collapse" ? 200 : 0;
    setTimeout(() => {
      res.writeHead(200, headers);
      res.end(body);
    }, wait);
  });
  gw = await startTestGateway(
    baseConfig({
      upstreams: [{ name: "origin", targets: [{ url: origin.url }] }],
      consumers: [
        { name: "alice", credentials: { apiKeys: [hashApiKey(ALICE)] } },
        { name: "bob", credentials: { apiKeys: [hashApiKey(BOB)] } },
      ],
      routes: [
        {
          name: "cached",
          match: { path: "/" },
          upstream: "origin",
          policies: {
            authenticate: { methods: [{ apiKey: {} }], anonymous: true },
            cache: { maxObjectBytes: 100_000 },
          },
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await origin?.close();
});

describe("storing and serving", () => {
  test("a fresh response is served from the cache, with Age and Cache-Status", async () => {
    const first = await get("/fresh");
    assert.equal(first.headers.get("cache-status"), "Portcullis; fwd=uri-miss");
    await new Promise((r) => setTimeout(r, 1100));
    const second = await get("/fresh");
    assert.equal(second.text, first.text);
    assert.match(second.headers.get("cache-status") ?? "", /^Portcullis; hit; ttl=\d+$/);
    assert.ok(Number(second.headers.get("age")) >= 1, `age ${second.headers.get("age")}`);
    assert.equal(originCalls("/fresh"), 1);
  });

  test("a HEAD is answered from the stored GET: same headers, Content-Length, no body", async () => {
    const calls = originCalls("/fresh");
    const get1 = await get("/fresh");
    const head = await get("/fresh", {}, "HEAD");
    assert.match(head.headers.get("cache-status") ?? "", /hit/);
    assert.equal(head.text, "");
    assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(get1.text)));
    assert.equal(originCalls("/fresh"), calls);
  });

  test("no-store and private responses are not stored by a shared cache", async () => {
    await get("/nostore");
    await get("/nostore");
    assert.equal(originCalls("/nostore"), 2);
    await get("/private");
    await get("/private");
    assert.equal(originCalls("/private"), 2);
  });

  test("a request with Cache-Control: no-store bypasses the cache", async () => {
    await get("/fresh", { "cache-control": "no-store" });
    assert.equal(originCalls("/fresh"), 2);
  });

  test("Vary: a request for another variant is not given the stored one", async () => {
    const en = await get("/vary", { "accept-language": "en" });
    const fr = await get("/vary", { "accept-language": "fr" });
    assert.match(en.text, /lang=en/);
    assert.match(fr.text, /lang=fr/);
    const fr2 = await get("/vary", { "accept-language": "fr" });
    assert.equal(fr2.text, fr.text);
    assert.match(fr2.headers.get("cache-status") ?? "", /hit/);
  });

  test("a body over maxObjectBytes streams through whole and is not stored", async () => {
    const a = await get("/big");
    const b = await get("/big");
    assert.equal(a.text.length, 200_000);
    assert.equal(b.text.length, 200_000);
    assert.equal(originCalls("/big"), 2);
  });

  test("query parameter order does not split the cache", async () => {
    await get("/fresh?a=1&b=2");
    const r = await get("/fresh?b=2&a=1");
    assert.match(r.headers.get("cache-status") ?? "", /hit/);
  });
});

describe("identity", () => {
  test("a consumer's response is never served to another consumer or to anonymous clients", async () => {
    const alice = await get("/mine", { "x-api-key": ALICE });
    const bob = await get("/mine", { "x-api-key": BOB });
    const anon = await get("/mine");
    assert.match(alice.text, /consumer=alice/);
    assert.match(bob.text, /consumer=bob/);
    assert.doesNotMatch(bob.headers.get("cache-status") ?? "", /hit/);
    assert.match(anon.text, /consumer=-/, "anonymous never sees a credentialed response");
    assert.equal(originCalls("/mine"), 3);
  });

  test("unless the response says it may be shared (public)", async () => {
    await get("/public-mine", { "x-api-key": ALICE });
    const bob = await get("/public-mine", { "x-api-key": BOB });
    assert.match(bob.headers.get("cache-status") ?? "", /hit/);
  });
});

test("an unsafe method invalidates the stored response (RFC 9111 §4.4)", async () => {
  await get("/posted");
  assert.match((await get("/posted")).headers.get("cache-status") ?? "", /hit/);
  assert.equal((await get("/posted", {}, "POST")).status, 200);
  const after = await get("/posted");
  assert.equal(after.headers.get("cache-status"), "Portcullis; fwd=uri-miss");
  assert.equal(originCalls("/posted"), 3);
});

test("purge through the admin listener: by exact key, by prefix, by tag", async () => {
  const purge = async (q: string) => {
    const res = await fetch(`${gw.adminUrl}/cache?${q}`, { method: "DELETE" });
    return { status: res.status, body: (await res.json()) as { removed: number } };
  };
  const hit = async (path: string) => /hit/.test((await get(path)).headers.get("cache-status") ?? "");
  for (const p of ["/p/a", "/p/b", "/tagged/1", "/tagged/2"]) await get(p);
  assert.ok(await hit("/p/a"));
  assert.deepEqual(await purge(`key=${encodeURIComponent("cached|127.0.0.1|/p/a")}`), {
    status: 200,
    body: { removed: 1 },
  });
  assert.equal(await hit("/p/a"), false);
  assert.deepEqual((await purge(`prefix=${encodeURIComponent("cached|127.0.0.1|/p/")}`)).body, {
    removed: 2,
  });
  assert.equal(await hit("/p/b"), false);
  assert.ok(await hit("/tagged/1"));
  assert.deepEqual((await purge("tag=product-7")).body, { removed: 2 });
  assert.equal(await hit("/tagged/2"), false);
  assert.equal((await purge("key=a&tag=b")).status, 400);
});

test("concurrent misses for one key make one origin request (collapsing)", async () => {
  const results = await Promise.all(Array.from({ length: 10 }, () => get("/collapse")));
  assert.equal(originCalls("/collapse"), 1);
  assert.ok(results.every((r) => r.text === results[0].text));
  assert.ok(results.filter((r) => /collapsed/.test(r.headers.get("cache-status") ?? "")).length >= 1);
});

describe("Redis store: two gateways share entries", () => {
  let binOrigin: TestUpstream;
  let a: TestGateway;
  let b: TestGateway;
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  before(async () => {
    binOrigin = await startUpstream((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "cache-control": "public, max-age=60",
      });
      res.end(bytes);
    });
    const config = baseConfig({
      upstreams: [{ name: "origin", targets: [{ url: binOrigin.url }] }],
      redis: { url: "redis://127.0.0.1:6379", prefix: `test:${randomUUID()}:` },
      routes: [
        { name: "cached", match: { path: "/" }, upstream: "origin", policies: { cache: { store: "redis" } } },
      ],
    });
    a = await startTestGateway(config);
    b = await startTestGateway(config);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await binOrigin?.close();
  });

  test("an entry stored through one gateway is served, byte for byte, by the other", async () => {
    const first = await fetch(`${a.url}/bin`);
    assert.deepEqual(Buffer.from(await first.arrayBuffer()), bytes);
    await new Promise((r) => setTimeout(r, 50)); // the store completes after the response
    const second = await fetch(`${b.url}/bin`);
    assert.match(second.headers.get("cache-status") ?? "", /hit/);
    assert.deepEqual(Buffer.from(await second.arrayBuffer()), bytes);
    assert.equal(binOrigin.seen.length, 1);
  });
});
