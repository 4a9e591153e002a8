import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HeaderBag, PolicyHooks } from "../../pipeline/types.ts";
import { fakeRequest, fakeResponse, policyContext } from "../testing.ts";
import { corsPolicy } from "./index.ts";
import type { CorsOptions } from "./schema.ts";

const APP = "https://app.example.com";
const create = (options: CorsOptions): PolicyHooks =>
  corsPolicy.create(options, policyContext("/policies/cors"));

/** Runs the hooks for an actual request and returns the response headers the client would get. */
function respond(
  hooks: PolicyHooks,
  reqHeaders: HeaderBag,
  resHeaders: HeaderBag = {},
  opts: { method?: string; local?: boolean; status?: number } = {},
): HeaderBag {
  const req = fakeRequest({ method: opts.method ?? "GET", headers: reqHeaders });
  assert.equal(hooks.onRequest?.(req), undefined, "an actual request is never answered locally");
  const res = fakeResponse({ status: opts.status ?? 200, local: opts.local ?? false, headers: resHeaders });
  hooks.onResponse?.(req, res);
  return res.headers;
}

const allowedOrigin = (hooks: PolicyHooks, origin: string): string | undefined =>
  respond(hooks, { origin })["access-control-allow-origin"] as string | undefined;

describe("cors response: allowed origin", () => {
  test("adds Allow-Origin (echoed), Allow-Credentials, Expose-Headers and Vary: Origin", () => {
    const hooks = create({ origins: [APP], credentials: true, exposeHeaders: ["X-Total", "ETag"] });
    const headers = respond(hooks, { origin: APP }, { "content-type": "application/json" });
    assert.deepEqual(headers, {
      "content-type": "application/json",
      vary: "Origin",
      "access-control-allow-origin": APP,
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "x-total, etag",
    });
  });

  test("merges Origin into an existing Vary without duplicating it", () => {
    const hooks = create({ origins: [APP] });
    assert.equal(
      respond(hooks, { origin: APP }, { vary: "Accept-Encoding" }).vary,
      "Accept-Encoding, Origin",
    );
    assert.equal(
      respond(hooks, { origin: APP }, { vary: "accept-encoding, origin" }).vary,
      "accept-encoding, origin",
    );
    assert.equal(respond(hooks, { origin: APP }, { vary: " ORIGIN " }).vary, " ORIGIN ");
    assert.deepEqual(respond(hooks, { origin: APP }, { vary: ["Accept", "Origin"] }).vary, [
      "Accept",
      "Origin",
    ]);
    assert.equal(
      respond(hooks, { origin: APP }, { vary: ["Accept", "Cookie"] }).vary,
      "Accept, Cookie, Origin",
    );
    assert.equal(respond(hooks, { origin: APP }, { vary: "*" }).vary, "*");
    assert.equal(respond(hooks, { origin: APP }, { vary: "" }).vary, "Origin");
  });

  test("replaces the upstream's own CORS headers", () => {
    const hooks = create({ origins: [APP] });
    const headers = respond(
      hooks,
      { origin: APP },
      {
        "access-control-allow-origin": "*",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-secret",
      },
    );
    assert.equal(headers["access-control-allow-origin"], APP);
    assert.equal(headers["access-control-allow-credentials"], undefined);
    assert.equal(headers["access-control-expose-headers"], undefined);
  });

  test("also lands on the gateway's own error replies, so browsers can read them", () => {
    const hooks = create({ origins: [APP] });
    const headers = respond(
      hooks,
      { origin: APP },
      { "content-type": "application/problem+json" },
      { local: true, status: 502 },
    );
    assert.equal(headers["access-control-allow-origin"], APP);
  });

  test("an OPTIONS that is not a preflight is treated as an actual request", () => {
    const hooks = create({ origins: [APP] });
    assert.equal(
      respond(hooks, { origin: APP }, {}, { method: "OPTIONS" })["access-control-allow-origin"],
      APP,
    );
  });

  test('exposeHeaders "*" with credentials lists the response header names instead', () => {
    const hooks = create({ origins: [APP], credentials: true, exposeHeaders: ["*", "x-later"] });
    const headers = respond(
      hooks,
      { origin: APP },
      { "x-total": "3", etag: '"a"', "content-type": "text/plain", "set-cookie": "a=b", "x-gone": undefined },
    );
    assert.equal(headers["access-control-expose-headers"], "x-later, x-total, etag, vary");
  });

  test('exposeHeaders "*" without credentials is sent as "*"', () => {
    const hooks = create({ origins: [APP], exposeHeaders: ["*"] });
    assert.equal(respond(hooks, { origin: APP }, { "x-total": "3" })["access-control-expose-headers"], "*");
  });
});

describe("cors response: disallowed origin and no origin", () => {
  test("a disallowed origin gets no CORS headers, upstream's removed, and Vary: Origin", () => {
    const hooks = create({ origins: [APP], credentials: true, exposeHeaders: ["x-total"] });
    const headers = respond(
      hooks,
      { origin: "https://evil.example" },
      { "access-control-allow-origin": "https://evil.example", "access-control-allow-credentials": "true" },
    );
    assert.deepEqual(headers, { vary: "Origin" });
  });

  test("a request without Origin is untouched except Vary: Origin", () => {
    const hooks = create({ origins: [APP], credentials: true });
    const upstream = { "content-type": "text/plain", "access-control-allow-origin": "https://x.example" };
    assert.deepEqual(respond(hooks, {}, upstream), { ...upstream, vary: "Origin" });
  });

  test('origins "*" sends a constant "*" on every response and no Vary', () => {
    const hooks = create({ origins: ["*"], exposeHeaders: ["x-total"] });
    for (const reqHeaders of [{ origin: APP }, {}, { origin: "null" }]) {
      assert.deepEqual(respond(hooks, reqHeaders, { "access-control-allow-credentials": "true" }), {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "x-total",
      });
    }
  });
});

describe("cors origin patterns", () => {
  test("exact: scheme, host and port must match; the host ignores case; the sent value is echoed", () => {
    const hooks = create({ origins: ["https://App.Example.com", "http://localhost:3000"] });
    assert.equal(allowedOrigin(hooks, APP), APP);
    assert.equal(allowedOrigin(hooks, "HTTPS://APP.EXAMPLE.COM"), "HTTPS://APP.EXAMPLE.COM");
    assert.equal(allowedOrigin(hooks, "http://localhost:3000"), "http://localhost:3000");
    for (const other of [
      "http://app.example.com",
      "https://app.example.com:8443",
      "https://app.example.com.evil.example",
      "https://xapp.example.com",
      "http://localhost",
      "http://localhost:3001",
      "https://app.example.com/",
      `${APP}\r\nx-evil: 1`,
    ]) {
      assert.equal(allowedOrigin(hooks, other), undefined, other);
    }
  });

  test("a default port is the same origin as no port, either side", () => {
    const hooks = create({ origins: ["https://a.example:443", "http://b.example"] });
    assert.equal(allowedOrigin(hooks, "https://a.example"), "https://a.example");
    assert.equal(allowedOrigin(hooks, "http://b.example:80"), "http://b.example:80");
    assert.equal(allowedOrigin(hooks, "https://b.example"), undefined);
  });

  test("wildcard subdomain: any depth below the domain, same scheme and port, not the domain itself", () => {
    const hooks = create({ origins: ["https://*.example.com", "http://*.dev.example:8080"] });
    assert.equal(allowedOrigin(hooks, "https://a.example.com"), "https://a.example.com");
    assert.equal(allowedOrigin(hooks, "https://a.b.Example.com"), "https://a.b.Example.com");
    assert.equal(allowedOrigin(hooks, "http://x.dev.example:8080"), "http://x.dev.example:8080");
    for (const other of [
      "https://example.com",
      "http://a.example.com",
      "https://a.example.com:8443",
      "https://evilexample.com",
      "https://a.example.com.evil.example",
      "https://.example.com",
      "http://x.dev.example",
    ]) {
      assert.equal(allowedOrigin(hooks, other), undefined, other);
    }
  });

  test('"null" only when listed literally', () => {
    assert.equal(allowedOrigin(create({ origins: [APP] }), "null"), undefined);
    assert.equal(allowedOrigin(create({ origins: ["https://*.example.com"] }), "null"), undefined);
    assert.equal(allowedOrigin(create({ origins: [APP, "null"] }), "null"), "null");
  });

  test("IPv6 literal hosts", () => {
    const hooks = create({ origins: ["http://[::1]:8080"] });
    assert.equal(allowedOrigin(hooks, "http://[::1]:8080"), "http://[::1]:8080");
    assert.equal(allowedOrigin(hooks, "http://[::1]"), undefined);
  });
});
