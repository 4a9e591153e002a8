import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startOidcProvider, type TestOidcProvider } from "../../test/helpers/oidc.ts";
import { Introspector, type IntrospectorEvent, type IntrospectorSettings } from "./introspector.ts";

describe("Introspector", () => {
  let op: TestOidcProvider;
  const make = (settings: Partial<IntrospectorSettings> = {}) =>
    new Introspector({
      issuer: op.issuer,
      ca: op.ca,
      clientId: op.clientId,
      clientSecret: op.clientSecret,
      timeoutMs: 1_000,
      cacheMaxMs: 60_000,
      audiences: [op.resource],
      ...settings,
    });

  before(async () => {
    op = await startOidcProvider();
  });
  after(() => op.close());

  it("has no side effects on construction and discovers the endpoint on start", async () => {
    const calls = op.introspections();
    const i = make();
    await sleep(20);
    assert.equal(i.endpoint, undefined);
    await i.start();
    assert.equal(i.endpoint, op.introspectionEndpoint);
    assert.equal(op.introspections(), calls);
    i.close();
  });

  it("accepts an active opaque token and answers again from the cache, synchronously", async () => {
    const i = make();
    await i.start();
    const token = await op.opaqueAccessToken({ scope: "read write" });
    const r = await i.introspect(token);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.claims.active, true);
    assert.equal(r.claims.scope, "read write");
    assert.equal(r.claims.aud, op.resource);
    assert.equal(i.calls, 1);
    const again = i.introspect(token);
    assert.ok(!(again instanceof Promise), "cache hit must be synchronous");
    assert.ok(again.ok);
    assert.equal(i.calls, 1);
    i.close();
  });

  it("works with client_secret_post and a configured endpoint", async () => {
    const i = make({
      issuer: undefined,
      endpoint: op.introspectionEndpoint,
      authMethod: "client_secret_post",
    });
    const r = await i.introspect(await op.opaqueAccessToken());
    assert.ok(r.ok, JSON.stringify(r));
    i.close();
  });

  it("refuses an inactive token with 401 and caches the refusal briefly", async () => {
    const i = make();
    const garbage = randomBytes(32).toString("base64url");
    const r = await i.introspect(garbage);
    assert.deepEqual(r, {
      ok: false,
      status: 401,
      error: "invalid_token",
      description: "token is not active",
    });
    for (let n = 0; n < 50; n++) assert.ok(!(i.introspect(garbage) instanceof Promise));
    assert.equal(i.calls, 1);
    i.close();
  });

  it("refuses a token for another audience", async () => {
    const i = make({ audiences: ["https://other.example/"] });
    const r = await i.introspect(await op.opaqueAccessToken());
    assert.equal(r.ok, false);
    assert.equal((r as { description: string }).description, "wrong audience");
    i.close();
  });

  it("shares one call among concurrent introspections of the same token", async () => {
    const i = make();
    const token = await op.opaqueAccessToken();
    const results = await Promise.all(Array.from({ length: 20 }, () => i.introspect(token)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(i.calls, 1);
    i.close();
  });

  it("caches an active answer no longer than cacheMaxMs", async () => {
    const i = make({ cacheMaxMs: 100 });
    const token = await op.opaqueAccessToken();
    assert.ok((await i.introspect(token)).ok);
    await sleep(120);
    const again = i.introspect(token);
    assert.ok(again instanceof Promise);
    assert.ok((await again).ok);
    assert.equal(i.calls, 2);
    i.close();
  });

  it("answers 503 when the endpoint is down, resets, or rejects the gateway's credentials, without leaking secrets", async () => {
    const events: IntrospectorEvent[] = [];
    const token = await op.opaqueAccessToken();
    const i = make({ onEvent: (e) => events.push(e) });
    await i.start();
    for (const how of ["503", "reset"] as const) {
      op.setDown(true, how);
      try {
        const r = await i.introspect(`${token}`);
        assert.deepEqual(r, { ok: false, status: 503, description: "identity provider unavailable" });
      } finally {
        op.setDown(false);
      }
    }
    const wrong = make({ clientSecret: "wrong-secret-value", onEvent: (e) => events.push(e) });
    const r = await wrong.introspect(token);
    assert.equal(r.ok, false);
    assert.equal((r as { status: number }).status, 503);
    assert.deepEqual(
      events.map((e) => e.reason.replace(/\d+/g, "N")),
      [
        "introspection endpoint answered HTTP N",
        "introspection endpoint unreachable (UND_ERR_SOCKET)",
        "introspection endpoint refused the gateway's client credentials (HTTP N)",
      ],
    );
    const text = JSON.stringify(events) + JSON.stringify(r);
    for (const secret of [token, op.clientSecret, "wrong-secret-value"]) assert.ok(!text.includes(secret));
    // Provider back: the same token is accepted (failures are not cached).
    assert.ok((await i.introspect(token)).ok);
    i.close();
    wrong.close();
  });

  it("fails start clearly when discovery is down, and times out a silent endpoint", async () => {
    op.setDown(true);
    try {
      await assert.rejects(make().start(), /discovery document https:\/\/localhost:\d+\/.*answered HTTP 503/);
    } finally {
      op.setDown(false);
    }
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const events: IntrospectorEvent[] = [];
      const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/introspect`;
      const i = make({ issuer: undefined, endpoint, timeoutMs: 150, onEvent: (e) => events.push(e) });
      const t0 = Date.now();
      const r = await i.introspect("some-token");
      assert.equal((r as { status: number }).status, 503);
      assert.ok(Date.now() - t0 < 1_000);
      assert.match(events[0].reason, /timed out after 150 ms/);
      i.close();
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("retries a failed discovery at most once per discoveryRetryMs", async () => {
    const token = await op.opaqueAccessToken();
    const i = make({ discoveryRetryMs: 200 });
    op.setDown(true);
    try {
      assert.equal((await i.introspect(token)).ok, false);
    } finally {
      op.setDown(false);
    }
    const soon = await i.introspect(token);
    assert.equal((soon as { status: number }).status, 503, "no new discovery inside the retry interval");
    await sleep(220);
    assert.ok((await i.introspect(token)).ok);
    i.close();
  });

  it("refuses plain http to a non-loopback endpoint at construction", () => {
    assert.throws(() => make({ issuer: undefined, endpoint: "http://idp.example/introspect" }), /loopback/);
  });
});
