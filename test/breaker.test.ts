// Circuit breaking through the running gateway: a failing target's breaker opens (503 CIRCUIT_OPEN with
// Retry-After, the upstream no longer sees requests), half-opens after openMs, and closes on a success.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("circuit breaker", () => {
  let flapping: TestUpstream;
  let failing = true;
  let gw: TestGateway;

  before(async () => {
    flapping = await startUpstream((_req, res) => {
      res.statusCode = failing ? 503 : 200;
      res.end(failing ? "down" : "up");
    });
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "flaky",
            targets: [{ url: flapping.url }],
            circuitBreaker: {
              consecutiveFailures: 3,
              minRequests: 100,
              openMs: 1000,
              maxOpenMs: 1000,
              halfOpenProbes: 1,
            },
          },
        ],
        routes: [{ name: "flaky", match: { path: "/" }, upstream: "flaky" }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await flapping.close();
  });

  async function get() {
    const res = await request(`${gw.url}/x`);
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body };
  }

  test("opens after consecutive failures, half-opens after openMs, closes on success", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get()).status, 503);
    const seenBefore = flapping.seen.length;
    const open = await get();
    assert.equal(open.status, 503);
    assert.equal((JSON.parse(open.body) as { code: string }).code, "CIRCUIT_OPEN");
    assert.equal(open.headers["retry-after"], "1");
    assert.equal(flapping.seen.length, seenBefore, "an open breaker sends nothing upstream");
    const line = gw.logs().findLast((l) => (l.portcullis as { flag?: string } | undefined)?.flag === "UO");
    assert.ok(line, "logged with flag UO");

    failing = false;
    await new Promise((r) => setTimeout(r, 1100));
    const probe = await get();
    assert.equal(probe.status, 200, "the half-open probe reaches the recovered target");
    for (let i = 0; i < 3; i++) assert.equal((await get()).body, "up");

    const report = (await (await request(`${gw.adminUrl}/upstreams`)).body.json()) as {
      upstreams: { targets: { breaker?: { state: string } }[] }[];
    };
    assert.equal(report.upstreams[0].targets[0].breaker?.state, "closed");
    const transitions = gw.logText().match(/circuit breaker changed/g) ?? [];
    assert.equal(transitions.length, 3, "closed→open, open→half-open, half-open→closed, each logged once");
    const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
    for (const to of ["open", "half-open", "closed"]) {
      assert.match(
        metrics,
        new RegExp(`portcullis_upstream_transitions_total\\{[^}]*check="breaker",to="${to}"\\} 1`),
      );
    }
  });
  test("breaker state outlives a reload that keeps the target", async (t) => {
    const down = await startUpstream((_req, res) => {
      res.statusCode = 503;
      res.end("down");
    });
    const own = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "down",
            targets: [{ url: down.url }],
            circuitBreaker: { consecutiveFailures: 2, minRequests: 100, openMs: 60_000, maxOpenMs: 60_000 },
          },
        ],
        routes: [{ name: "down", match: { path: "/" }, upstream: "down" }],
      }),
    );
    t.after(async () => {
      await own.close();
      await down.close();
    });
    const code = async () => {
      const res = await request(`${own.url}/`);
      const body = await res.body.text();
      return body.startsWith("{") ? (JSON.parse(body) as { code: string }).code : body;
    };
    assert.equal(await code(), "down");
    assert.equal(await code(), "down");
    assert.equal(await code(), "CIRCUIT_OPEN");
    const outcome = await own.gateway.reload();
    assert.ok(outcome.ok);
    assert.equal(await code(), "CIRCUIT_OPEN", "the reloaded plan uses the same, still open, breaker");
  });
});

describe("bulkhead", () => {
  let slow: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    slow = await startUpstream((_req, res) => setTimeout(() => res.end("done"), 300));
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "slow",
            targets: [{ url: slow.url }],
            bulkhead: { maxConcurrent: 2, maxQueue: 1, maxWaitMs: 100 },
          },
        ],
        routes: [{ name: "slow", match: { path: "/" }, upstream: "slow" }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await slow.close();
  });

  test("caps requests in flight per upstream: over the cap and a full queue → 503 BULKHEAD_FULL at once", async () => {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await request(`${gw.url}/x`);
        const body = await res.body.text();
        return { status: res.statusCode, body, ms: performance.now() - started };
      }),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    assert.equal(ok.length, 2, JSON.stringify(results));
    assert.equal(refused.length, 3);
    for (const r of refused) assert.equal((JSON.parse(r.body) as { code: string }).code, "BULKHEAD_FULL");
    // Two refused at once (queue full), one after waiting in the queue: all before the upstream answers.
    const lastRefused = Math.max(...refused.map((r) => r.ms));
    assert.ok(
      lastRefused < Math.min(...ok.map((r) => r.ms)),
      JSON.stringify(results.map((r) => [r.status, r.ms])),
    );
    assert.equal(slow.seen.length, 2, "the refused requests never reached the upstream");
  });
});

describe("circuit breaker with two targets", () => {
  let mode: "ok" | "fail" | "slow" = "ok";
  let a: TestUpstream;
  let b: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    a = await startUpstream((_req, res) => {
      if (mode === "fail") {
        res.statusCode = 503;
        res.end("a-down");
      } else if (mode === "slow") setTimeout(() => res.end("a"), 400);
      else res.end("a");
    });
    b = await startUpstream((_req, res) => res.end("b"));
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "pair",
            balancer: { kind: "hash", key: { header: "x-k" } },
            targets: [{ url: a.url }, { url: b.url }],
            circuitBreaker: {
              consecutiveFailures: 1,
              minRequests: 100,
              openMs: 200,
              maxOpenMs: 200,
              halfOpenProbes: 1,
            },
          },
        ],
        routes: [{ name: "pair", match: { path: "/" }, upstream: "pair" }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  const get = async (key: string) =>
    await (await request(`${gw.url}/`, { headers: { "x-k": key } })).body.text();

  test("while a half-open target's probe is out, its other requests go to another target", async () => {
    let keyOnA: string | undefined;
    for (let i = 0; i < 50 && keyOnA === undefined; i++) if ((await get(`k${i}`)) === "a") keyOnA = `k${i}`;
    assert.ok(keyOnA, "some key hashes to target a");
    mode = "fail";
    assert.equal(await get(keyOnA), "a-down"); // opens a's breaker
    assert.equal(await get(keyOnA), "b", "an open target is skipped");
    await new Promise((r) => setTimeout(r, 250));
    mode = "slow";
    const probe = get(keyOnA); // half-open: the one probe goes to a
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await get(keyOnA), "b", "no probe slot left on a: served by b, not refused");
    assert.equal(await probe, "a");
  });
});
