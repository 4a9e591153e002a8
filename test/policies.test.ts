// The policy pipeline through the running gateway: global and per-route policies (route replaces
// global), headers in both directions, CORS preflights answered locally and CORS on errors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("policies through the gateway", () => {
  let up: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    up = await startUpstream((req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "x-internal": "secret",
        server: "backend/1.0",
      });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        policies: {
          headers: { response: { remove: ["x-internal", "server"], set: { "x-gateway": "global" } } },
          cors: {
            origins: ["https://app.example.test"],
            credentials: true,
            maxAgeSeconds: 600,
            allowHeaders: ["content-type"],
          },
        },
        routes: [
          {
            name: "custom",
            match: { path: "/custom" },
            upstream: "up",
            policies: {
              headers: {
                request: { set: { "x-tenant": "blue" }, remove: ["x-debug"], rename: { "x-old": "x-new" } },
                response: { add: { "x-gateway": "route" } },
              },
            },
          },
          { name: "default", match: { path: "/" }, upstream: "up" },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test("global headers policy applies to routes without their own", async () => {
    const res = await request(`${gw.url}/plain`);
    await res.body.text();
    assert.equal(res.headers["x-internal"], undefined);
    assert.equal(res.headers.server, undefined);
    assert.equal(res.headers["x-gateway"], "global");
  });

  test("a route's headers policy replaces the global one and edits the request", async () => {
    const before = up.seen.length;
    const res = await request(`${gw.url}/custom`, { headers: { "x-debug": "1", "x-old": "v" } });
    await res.body.text();
    const seen = up.seen[before];
    assert.equal(seen.headers["x-tenant"], "blue");
    assert.equal(seen.headers["x-debug"], undefined);
    assert.equal(seen.headers["x-new"], "v");
    assert.equal(seen.headers["x-old"], undefined);
    assert.equal(res.headers["x-gateway"], "route");
    assert.equal(res.headers["x-internal"], "secret", "the global remove no longer applies on this route");
  });

  test("a CORS preflight is answered by the gateway and never reaches the upstream", async () => {
    const before = up.seen.length;
    const res = await request(`${gw.url}/plain`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    await res.body.text();
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers["access-control-allow-origin"], "https://app.example.test");
    assert.equal(res.headers["access-control-allow-credentials"], "true");
    assert.equal(res.headers["access-control-max-age"], "600");
    assert.equal(up.seen.length, before);
  });

  test("CORS headers on simple requests, and on the gateway's own errors", async () => {
    const ok = await request(`${gw.url}/plain`, { headers: { origin: "https://app.example.test" } });
    await ok.body.text();
    assert.equal(ok.headers["access-control-allow-origin"], "https://app.example.test");
    assert.match(String(ok.headers.vary), /origin/i);
    const denied = await request(`${gw.url}/plain`, { headers: { origin: "https://evil.example.test" } });
    await denied.body.text();
    assert.equal(denied.headers["access-control-allow-origin"], undefined);
  });

  test("a preflight to a route that does not list OPTIONS is answered by that route's CORS policy", async (t) => {
    const only = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        routes: [
          {
            name: "get-only",
            match: { path: "/ro", methods: ["GET"] },
            upstream: "up",
            policies: { cors: { origins: ["https://app.example.test"] } },
          },
        ],
      }),
    );
    t.after(() => only.close());
    const preflight = (method: string) =>
      request(`${only.url}/ro`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.test", "access-control-request-method": method },
      });
    const ok = await preflight("GET");
    await ok.body.text();
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers["access-control-allow-origin"], "https://app.example.test");
    const other = await preflight("DELETE");
    await other.body.text();
    assert.equal(other.statusCode, 405);
    const plain = await request(`${only.url}/ro`, { method: "OPTIONS" });
    await plain.body.text();
    assert.equal(plain.statusCode, 405, "an OPTIONS that is not a preflight still gets 405");
  });
});
