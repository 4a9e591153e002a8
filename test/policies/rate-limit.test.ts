// The rateLimit policy through a real gateway: limits and headers, keys, consumer overrides, quotas, and
// the Redis store with both failure modes against a Redis that stops answering (a proxy in front of the
// machine's Redis, so other test runs sharing it are not disturbed).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { hashApiKey } from "../../src/consumers/hash.ts";
import { TcpProxy } from "../../src/policies/rate-limit/stores/test-proxy.ts";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

const PARTNER = "pk_partner_0123456789abcdefghijklmnopqrstuvwx";
const BASIC = "pk_basic_0123456789abcdefghijklmnopqrstuvwxyz";
const MONITOR = "pk_monitor_0123456789abcdefghijklmnopqrstuvwx";

let up: TestUpstream;
before(async () => {
  up = await startUpstream();
});
after(async () => {
  await up.close();
});

async function call(gw: TestGateway, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

async function burst(gw: TestGateway, path: string, n: number, headers: Record<string, string> = {}) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(gw, path, headers)).status);
  return out;
}

const count = (xs: number[], v: number) => xs.filter((x) => x === v).length;

describe("memory store", () => {
  let gw: TestGateway;
  before(async () => {
    const keys = { authenticate: { methods: [{ apiKey: {} }], anonymous: true } };
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        consumers: [
          {
            name: "partner",
            credentials: { apiKeys: [hashApiKey(PARTNER)] },
            settings: { rateLimit: { limits: { "per-minute": 6 } } },
          },
          { name: "basic", credentials: { apiKeys: [hashApiKey(BASIC)] } },
          {
            name: "monitor",
            credentials: { apiKeys: [hashApiKey(MONITOR)] },
            settings: { rateLimit: { exempt: true } },
          },
        ],
        routes: [
          {
            name: "ip",
            match: { path: "/ip" },
            upstream: "up",
            policies: { rateLimit: { limits: [{ name: "per-minute", limit: 3, windowSec: 60 }] } },
          },
          {
            name: "tenant",
            match: { path: "/tenant" },
            upstream: "up",
            policies: {
              rateLimit: {
                limits: [{ name: "per-minute", limit: 2, windowSec: 60, key: [{ header: "x-tenant" }] }],
              },
            },
          },
          {
            name: "consumers",
            match: { path: "/consumers" },
            upstream: "up",
            policies: {
              ...keys,
              rateLimit: {
                limits: [{ name: "per-minute", limit: 3, windowSec: 60, key: ["consumer"] }],
                quotas: [{ name: "daily", limit: 4, period: "day", timeZone: "Europe/Paris" }],
              },
            },
          },
          {
            name: "bucket",
            match: { path: "/bucket" },
            upstream: "up",
            policies: {
              rateLimit: {
                limits: [{ name: "bucket", limit: 1, windowSec: 3600, algorithm: "token-bucket", burst: 5 }],
              },
            },
          },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
  });

  test("a limit admits exactly `limit`, then 429 problem+json with Retry-After and the draft's headers", async () => {
    const before = up.seen.length;
    const statuses = await burst(gw, "/ip", 5);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal(up.seen.length - before, 3, "refused requests never reach the upstream");
    const r = await call(gw, "/ip");
    assert.equal(r.status, 429);
    assert.match(r.headers.get("content-type") ?? "", /problem\+json/);
    assert.equal(JSON.parse(r.text).code, "RATE_LIMITED");
    const wait = Number(r.headers.get("retry-after"));
    assert.ok(wait >= 59 && wait <= 60, `Retry-After ${wait}`);
    assert.equal(r.headers.get("ratelimit-policy"), '"per-minute";q=3;w=60');
    assert.match(r.headers.get("ratelimit") ?? "", /^"per-minute";r=0;t=(59|60)$/);
  });

  test("admitted responses carry RateLimit with what is left", async () => {
    const r = await call(gw, "/tenant", { "x-tenant": "acme" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("ratelimit-policy"), '"per-minute";q=2;w=60');
    assert.match(r.headers.get("ratelimit") ?? "", /^"per-minute";r=1;t=\d+$/);
  });

  test("a header key partitions: one tenant's exhaustion does not limit another", async () => {
    assert.deepEqual(await burst(gw, "/tenant", 3, { "x-tenant": "t1" }), [200, 200, 429]);
    assert.deepEqual(await burst(gw, "/tenant", 2, { "x-tenant": "t2" }), [200, 200]);
  });

  test("consumer keys, per-consumer overrides and exemptions; quotas with the remaining quota", async () => {
    // The partner's own per-minute limit is 6 (not 3), but the daily quota of 4 comes first.
    assert.deepEqual(await burst(gw, "/consumers", 4, { "x-api-key": PARTNER }), [200, 200, 200, 200]);
    const fifth = await call(gw, "/consumers", { "x-api-key": PARTNER });
    assert.equal(fifth.status, 429);
    assert.equal(JSON.parse(fifth.text).code, "QUOTA_EXCEEDED");
    assert.match(fifth.headers.get("ratelimit") ?? "", /"per-minute";r=1;t=\d+, "daily";r=0;t=\d+/);
    const basic = await burst(gw, "/consumers", 4, { "x-api-key": BASIC });
    assert.deepEqual(basic, [200, 200, 200, 429]);
    assert.equal(count(await burst(gw, "/consumers", 10, { "x-api-key": MONITOR }), 200), 10);
  });

  test("a token bucket lets a burst through, then the steady rate", async () => {
    assert.deepEqual(await burst(gw, "/bucket", 7), [200, 200, 200, 200, 200, 429, 429]);
  });
});

describe("Redis store: shared counts, and what happens when Redis fails", () => {
  let proxy: TcpProxy;
  let gw: TestGateway;
  before(async () => {
    proxy = await TcpProxy.start({ host: "127.0.0.1", port: 6379 });
    const limits = [{ name: "per-minute", limit: 5, windowSec: 60 }];
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: `test:${randomUUID()}:`, timeoutMs: 50 },
        routes: [
          {
            name: "open",
            match: { path: "/open" },
            upstream: "up",
            policies: { rateLimit: { store: "redis", limits } },
          },
          {
            name: "closed",
            match: { path: "/closed" },
            upstream: "up",
            policies: { rateLimit: { store: "redis", failureMode: "closed", limits } },
          },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await proxy.close();
  });

  test("limits hold through Redis", async () => {
    assert.deepEqual(await burst(gw, "/open", 6), [200, 200, 200, 200, 200, 429]);
  });

  for (const failure of ["stall", "down"] as const) {
    test(`Redis ${failure === "stall" ? "slower than the bound" : "down"}: open uses the local limiter, closed answers 503, both within the bound; then recovery`, async () => {
      if (failure === "stall") proxy.stall();
      else await proxy.down();
      const t0 = performance.now();
      const open = await call(gw, "/open");
      const openMs = performance.now() - t0;
      // The local stand-in starts empty: admitted, as a lone gateway would.
      assert.equal(open.status, 200, open.text);
      const t1 = performance.now();
      const closed = await call(gw, "/closed");
      const closedMs = performance.now() - t1;
      assert.equal(closed.status, 503);
      assert.equal(JSON.parse(closed.text).code, "RATE_LIMIT_UNAVAILABLE");
      // 50 ms bound plus the HTTP round trip; generous for a loaded machine, far below a hang.
      assert.ok(openMs < 1000 && closedMs < 1000, `${openMs} ms / ${closedMs} ms`);
      if (failure === "stall") proxy.resume();
      else await proxy.up();
      let status = 503;
      for (let i = 0; i < 100 && status === 503; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await call(gw, "/closed")).status;
      }
      // Redis answers again (200, or 429 once this route's 5 are used): no restart needed.
      assert.ok(status === 200 || status === 429, `still ${status}`);
    });
  }

  test("the failure and the recovery are logged and counted", async () => {
    const logs = gw.logs().map((l) => String(l.message));
    assert.ok(logs.includes("rate-limit store unavailable"));
    assert.ok(logs.includes("rate-limit store is back; limits are shared again"));
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(
      metrics,
      /portcullis_policy_events_total\{policy="rateLimit",event="store-failed-open"\} [1-9]/,
    );
    assert.match(
      metrics,
      /portcullis_policy_events_total\{policy="rateLimit",event="store-failed-closed"\} [1-9]/,
    );
  });
});
