// The cache's replies over HTTP/2 (h2c prior knowledge): a hit, a 304 turned into the stored response,
// a stale response replacing an upstream failure, and stale-while-revalidate, each with its body whole.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, test } from "node:test";
import { type CacheHarness, startCacheHarness } from "./harness.ts";

let h: CacheHarness;
let session: http2.ClientHttp2Session;
before(async () => {
  h = await startCacheHarness(
    {},
    { config: { listeners: [{ name: "h2c", address: "127.0.0.1", port: 0, http2: true }] } },
  );
  session = http2.connect(h.gw.url);
});
after(async () => {
  session.close();
  await h.close();
});

function h2get(path: string): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":path": path, ":method": "GET" });
    let headers: http2.IncomingHttpHeaders = {};
    let body = "";
    req.on("response", (hs) => {
      headers = hs;
    });
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => resolve({ status: Number(headers[":status"]), headers, body }));
    req.on("error", reject);
  });
}

test("a hit, and a revalidated entry, arrive whole over HTTP/2", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=1", age: "5", etag: '"h"' }, body: "stored over h2" },
    { status: 304, headers: { etag: '"h"', "cache-control": "max-age=60" } },
  );
  assert.equal((await h2get(p)).body, "stored over h2");
  const revalidated = await h2get(p);
  assert.equal(revalidated.status, 200);
  assert.equal(revalidated.body, "stored over h2");
  assert.equal(revalidated.headers["content-length"], String("stored over h2".length));
  assert.match(String(revalidated.headers["cache-status"]), /fwd-status=304/);
  const hit = await h2get(p);
  assert.match(String(hit.headers["cache-status"]), /hit/);
  assert.equal(hit.body, "stored over h2");
  assert.equal(h.calls(p).length, 2);
});

test("stale-if-error and stale-while-revalidate over HTTP/2", async () => {
  const p = h.path();
  h.script(
    p,
    { headers: { "cache-control": "max-age=1, stale-if-error=60", age: "5" }, body: "old" },
    { reset: true },
  );
  await h2get(p);
  const sie = await h2get(p);
  assert.equal(sie.status, 200);
  assert.equal(sie.body, "old");
  const q = h.path();
  h.script(
    q,
    { headers: { "cache-control": "max-age=1, stale-while-revalidate=60", age: "5" }, body: "stale" },
    { headers: { "cache-control": "max-age=60" }, body: "fresh" },
  );
  await h2get(q);
  const swr = await h2get(q);
  assert.equal(swr.body, "stale");
  assert.match(String(swr.headers["cache-status"]), /stale-while-revalidate/);
});
