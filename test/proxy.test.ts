// Step 8 through a real gateway and real upstreams: headers in both directions, the gateway's own headers,
// trusted proxies, request ids, HTTP/2 upstreams and streaming.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { createPki } from "./helpers/certs.ts";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { rawRequest } from "./helpers/raw.ts";
import {
  startH2cUpstream,
  startH2TlsUpstream,
  startUpstream,
  type TestUpstream,
} from "./helpers/upstream.ts";

describe("proxying", () => {
  let up: TestUpstream;
  let h2: TestUpstream;
  let h2tls: TestUpstream;
  let gw: TestGateway;
  let trustedGw: TestGateway;

  before(async () => {
    up = await startUpstream((req, res, body) => {
      if (req.url?.startsWith("/hop")) {
        res.writeHead(200, {
          connection: "x-secret, keep-alive",
          "x-secret": "upstream-internal",
          "keep-alive": "timeout=5",
          "proxy-authenticate": "Basic",
          "x-kept": "yes",
        });
        res.end("ok");
        return;
      }
      const payload = JSON.stringify({ url: req.url, headers: req.headers, bodyLength: body.length });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(payload);
    });
    h2 = await startH2cUpstream();
    const pki = createPki();
    h2tls = await startH2TlsUpstream(pki.leaf("up", ["up.example.test"]));
    const config = baseConfig({
      upstreams: [
        {
          name: "secure",
          targets: [{ url: h2tls.url }],
          http2: true,
          tls: { ca: pki.caPath, serverName: "up.example.test" },
        },
        { name: "one", targets: [{ url: up.url }] },
        { name: "two", targets: [{ url: h2.url }], http2: true },
      ],
      routes: [
        { name: "h2", match: { path: "/h2" }, upstream: "two", stripPrefix: true },
        { name: "secure", match: { path: "/secure" }, upstream: "secure" },
        { name: "all", match: { path: "/" }, upstream: "one" },
      ],
    });
    gw = await startTestGateway(config);
    trustedGw = await startTestGateway({ ...config, trustedProxies: ["127.0.0.0/8"] });
  });
  after(async () => {
    await gw.close();
    await trustedGw.close();
    await up.close();
    await h2.close();
    await h2tls.close();
  });

  test("forwards method, normalized path and query; sets X-Forwarded-* and Forwarded", async () => {
    const res = await request(`${gw.url}/a/./b//c/../d?x=1&y=%20`, {
      headers: { "x-forwarded-for": "6.6.6.6", forwarded: "for=6.6.6.6", "x-forwarded-proto": "https" },
    });
    assert.equal(res.statusCode, 200);
    const seen = (await res.body.json()) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, "/a/b/d?x=1&y=%20");
    // The peer is not trusted: client-sent copies are replaced, never extended.
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.equal(seen.headers["x-forwarded-host"], `127.0.0.1:${gw.port}`);
    assert.equal(seen.headers.forwarded, `for=127.0.0.1;proto=http;host="127.0.0.1:${gw.port}"`);
    assert.equal(seen.headers.host, `127.0.0.1:${up.port}`);
  });

  test("a trusted peer's X-Forwarded-For is extended and its first untrusted hop is the client", async () => {
    const res = await request(`${trustedGw.url}/x`, {
      headers: { "x-forwarded-for": "203.0.113.7, 127.0.0.5", forwarded: "for=203.0.113.7" },
    });
    const seen = (await res.body.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers["x-forwarded-for"], "203.0.113.7, 127.0.0.5, 127.0.0.1");
    assert.equal(
      seen.headers.forwarded,
      `for=203.0.113.7, for=127.0.0.1;proto=http;host="127.0.0.1:${trustedGw.port}"`,
    );
    const access = trustedGw.logs().find((l) => (l.url as { path?: string } | undefined)?.path === "/x");
    assert.equal((access!.client as { ip: string }).ip, "203.0.113.7");
  });

  test("hop-by-hop request headers and every header named in Connection are removed", async () => {
    const r = await rawRequest(
      gw.port,
      "GET /hdr HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive, x-drop-me, x-forwarded-for, x-request-id\r\n" +
        "X-Drop-Me: 1\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n" +
        "Proxy-Connection: keep-alive\r\nX-Keep: 1\r\n\r\n",
      1_000,
    );
    assert.equal(r.status, 200);
    const seen = up.seen.at(-1)!;
    for (const h of ["x-drop-me", "keep-alive", "te", "upgrade", "http2-settings", "proxy-connection"]) {
      assert.equal(seen.headers[h], undefined, `${h} must not be forwarded`);
    }
    assert.equal(seen.headers["x-keep"], "1");
    // The client named the gateway's own headers in Connection: they are still set (added after the strip).
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert.match(String(seen.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });

  test("hop-by-hop response headers and those named in Connection are removed", async () => {
    const res = await request(`${gw.url}/hop`);
    assert.equal(await res.body.text(), "ok");
    assert.equal(res.headers["x-secret"], undefined);
    assert.equal(res.headers["proxy-authenticate"], undefined);
    assert.equal(res.headers["x-kept"], "yes");
  });

  test("X-Request-Id is propagated when well formed, generated otherwise, and returned", async () => {
    const a = await request(`${gw.url}/id`, { headers: { "x-request-id": "abc-123" } });
    const seenA = (await a.body.json()) as { headers: Record<string, string> };
    assert.equal(seenA.headers["x-request-id"], "abc-123");
    assert.equal(a.headers["x-request-id"], "abc-123");
    const b = await request(`${gw.url}/id`, { headers: { "x-request-id": "x".repeat(300) } });
    const seenB = (await b.body.json()) as { headers: Record<string, string> };
    assert.match(seenB.headers["x-request-id"], /^[0-9a-f-]{36}$/);
    assert.equal(b.headers["x-request-id"], seenB.headers["x-request-id"]);
  });

  test("HTTP/2 (h2c) upstreams", async () => {
    const res = await request(`${gw.url}/h2/over?q=1`);
    const seen = (await res.body.json()) as { url: string; h2: boolean; headers: Record<string, string> };
    assert.equal(seen.h2, true);
    assert.equal(seen.url, "/over?q=1");
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
  });

  test("HTTP/2 over TLS upstreams, verified against a configured CA and server name", async () => {
    const res = await request(`${gw.url}/secure/x`, { method: "POST", body: "hello" });
    assert.equal(res.statusCode, 200);
    const seen = (await res.body.json()) as { url: string; alpn: string; bodyLength: number };
    assert.deepEqual(seen, { url: "/secure/x", alpn: "h2", bodyLength: 5 });
  });

  test("request and response bodies stream both ways", async () => {
    const size = 8 * 1024 * 1024;
    const res = await request(`${gw.url}/upload`, { method: "POST", body: Buffer.alloc(size, 7) });
    const seen = (await res.body.json()) as { bodyLength: number };
    assert.equal(seen.bodyLength, size);
    const log = gw.logs().find((l) => (l.url as { path?: string } | undefined)?.path === "/upload");
    assert.equal((log!.http as { request: { body: { bytes: number } } }).request.body.bytes, size);
  });

  test("Expect: 100-continue is answered by the gateway once the request is admitted, never forwarded", async () => {
    const body = "x".repeat(2048);
    const ok = await rawRequest(
      gw.port,
      [
        `POST /expect HTTP/1.1\r\nHost: a.example\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        150,
        body,
      ],
      2_000,
    );
    assert.match(ok.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    const seen = up.seen.at(-1)!;
    assert.equal(seen.url, "/expect");
    assert.equal(seen.body.length, body.length);
    assert.equal(seen.headers.expect, undefined);
    // Refused by its headers: no 100 Continue, the final status straight away.
    const refused = await rawRequest(
      gw.port,
      "POST /a%2Fb HTTP/1.1\r\nHost: a.example\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
      1_000,
    );
    assert.equal(refused.status, 400);
    assert.doesNotMatch(refused.text, /100 Continue/);
  });
});
