import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HeaderBag, LocalReply, PolicyHooks } from "../../pipeline/types.ts";
import { fakeRequest, fakeResponse, policyContext } from "../testing.ts";
import { corsPolicy } from "./index.ts";
import type { CorsOptions } from "./schema.ts";

const VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const APP = "https://app.example.com";

const create = (options: CorsOptions): PolicyHooks =>
  corsPolicy.create(options, policyContext("/policies/cors"));

function preflight(hooks: PolicyHooks, headers: HeaderBag, method = "OPTIONS"): LocalReply | undefined {
  const out = hooks.onRequest?.(fakeRequest({ method, headers }));
  assert.ok(!(out instanceof Promise), "cors answers synchronously");
  return out;
}

/** A preflight the policy must answer; returns the reply's headers. */
function answered(hooks: PolicyHooks, headers: HeaderBag): HeaderBag {
  const reply = preflight(hooks, headers);
  assert.ok(reply !== undefined, "a preflight is answered locally, never forwarded");
  assert.equal(reply.status, 204);
  assert.equal(reply.body, undefined);
  return reply.headers ?? {};
}

const refusedReply = { vary: VARY };

describe("cors preflight: allowed", () => {
  test("echoes the origin and lists methods, requested headers, max age and credentials", () => {
    const hooks = create({
      origins: [APP],
      methods: ["GET", "put", "DELETE"],
      allowHeaders: ["Content-Type", "X-Trace"],
      credentials: true,
      maxAgeSeconds: 600,
    });
    const headers = answered(hooks, {
      Origin: APP,
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "content-type,X-Trace",
    });
    assert.deepEqual(headers, {
      vary: VARY,
      "access-control-allow-origin": APP,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, PUT, DELETE",
      "access-control-allow-headers": "content-type, x-trace",
      "access-control-max-age": "600",
    });
  });

  test("defaults: GET, HEAD, POST; no credentials, max age or allowed headers", () => {
    const hooks = create({ origins: [APP] });
    const headers = answered(hooks, { origin: APP, "access-control-request-method": "POST" });
    assert.deepEqual(headers, {
      vary: VARY,
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, HEAD, POST",
    });
  });

  test('origins "*" answers "*"', () => {
    const hooks = create({ origins: ["*"] });
    const headers = answered(hooks, {
      origin: "https://anyone.example",
      "access-control-request-method": "GET",
    });
    assert.equal(headers["access-control-allow-origin"], "*");
    assert.equal(headers.vary, VARY);
  });

  test('allowHeaders "*" without credentials answers "*" plus listed names', () => {
    const hooks = create({ origins: [APP], allowHeaders: ["*"] });
    const headers = answered(hooks, {
      origin: APP,
      "access-control-request-method": "GET",
      "access-control-request-headers": "x-anything, x-else",
    });
    assert.equal(headers["access-control-allow-headers"], "*");
    const withAuth = create({ origins: [APP], allowHeaders: ["*", "Authorization"] });
    const h2 = answered(withAuth, {
      origin: APP,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, x-a",
    });
    assert.equal(h2["access-control-allow-headers"], "*, authorization");
  });

  test('allowHeaders "*" with credentials echoes the requested headers (Fetch treats "*" literally)', () => {
    const hooks = create({ origins: [APP], allowHeaders: ["*"], credentials: true });
    const headers = answered(hooks, {
      origin: APP,
      "access-control-request-method": "GET",
      "access-control-request-headers": "x-anything, X-Else",
    });
    assert.equal(headers["access-control-allow-headers"], "x-anything, x-else");
    assert.equal(headers["access-control-allow-credentials"], "true");
  });

  test('methods "*" answers "*" without credentials and echoes the method with them', () => {
    const open = create({ origins: [APP], methods: ["*"] });
    assert.equal(
      answered(open, { origin: APP, "access-control-request-method": "PURGE" })[
        "access-control-allow-methods"
      ],
      "*",
    );
    const creds = create({ origins: [APP], methods: ["*"], credentials: true });
    assert.equal(
      answered(creds, { origin: APP, "access-control-request-method": "PURGE" })[
        "access-control-allow-methods"
      ],
      "PURGE",
    );
  });

  test("Private Network Access: answered only when configured and requested", () => {
    const pna = create({ origins: [APP], privateNetwork: true });
    const ask = { origin: APP, "access-control-request-method": "GET" };
    const askPna = { ...ask, "access-control-request-private-network": "true" };
    assert.equal(answered(pna, askPna)["access-control-allow-private-network"], "true");
    assert.equal(answered(pna, ask)["access-control-allow-private-network"], undefined);
    const plain = create({ origins: [APP] });
    assert.equal(answered(plain, askPna)["access-control-allow-private-network"], undefined);
  });

  test("each reply gets its own header bag", () => {
    const hooks = create({ origins: [APP] });
    const ask = { origin: APP, "access-control-request-method": "GET" };
    const a = answered(hooks, ask);
    a["x-added-later"] = "1";
    assert.equal(answered(hooks, ask)["x-added-later"], undefined);
  });
});

describe("cors preflight: refused with 204 and no Access-Control-Allow-* headers", () => {
  const hooks = create({ origins: [APP], methods: ["GET", "PUT"], allowHeaders: ["x-a"] });

  test("a disallowed origin", () => {
    for (const origin of [
      "https://evil.example",
      "http://app.example.com",
      "null",
      "https://app.example.com:444",
    ]) {
      assert.deepEqual(answered(hooks, { origin, "access-control-request-method": "GET" }), refusedReply);
    }
  });

  test("a disallowed method (methods are case-sensitive, as in Fetch)", () => {
    assert.deepEqual(
      answered(hooks, { origin: APP, "access-control-request-method": "DELETE" }),
      refusedReply,
    );
    assert.deepEqual(answered(hooks, { origin: APP, "access-control-request-method": "put" }), refusedReply);
  });

  test("a disallowed or malformed requested header", () => {
    for (const requested of ["x-a, x-b", "x-b", "x-a, bad header", "x-a,\tx:b"]) {
      assert.deepEqual(
        answered(hooks, {
          origin: APP,
          "access-control-request-method": "GET",
          "access-control-request-headers": requested,
        }),
        refusedReply,
      );
    }
  });

  test('authorization under "*" unless listed', () => {
    const star = create({ origins: [APP], allowHeaders: ["*"] });
    assert.deepEqual(
      answered(star, {
        origin: APP,
        "access-control-request-method": "GET",
        "access-control-request-headers": "x-a, authorization",
      }),
      refusedReply,
    );
  });

  test("repeated Origin headers", () => {
    assert.deepEqual(
      answered(hooks, { origin: [APP, APP], "access-control-request-method": "GET" }),
      refusedReply,
    );
  });

  test("the response hook adds nothing to a preflight reply, refused or not", () => {
    for (const [origin, method] of [
      [APP, "GET"],
      [APP, "DELETE"],
      ["https://evil.example", "GET"],
    ]) {
      const ask = { origin, "access-control-request-method": method };
      const headers = answered(hooks, ask);
      const before = { ...headers };
      const res = fakeResponse({ status: 204, local: true, headers });
      hooks.onResponse?.(fakeRequest({ method: "OPTIONS", headers: ask }), res);
      assert.deepEqual(res.headers, before);
    }
  });
});

describe("cors preflight: what is not a preflight passes through", () => {
  const hooks = create({ origins: [APP] });

  test("OPTIONS without Access-Control-Request-Method", () => {
    assert.equal(preflight(hooks, { origin: APP }), undefined);
  });

  test("OPTIONS without Origin", () => {
    assert.equal(preflight(hooks, { "access-control-request-method": "GET" }), undefined);
  });

  test("another method carrying preflight headers", () => {
    assert.equal(preflight(hooks, { origin: APP, "access-control-request-method": "GET" }, "GET"), undefined);
  });
});
