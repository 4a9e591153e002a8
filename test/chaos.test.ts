// The chaos cases with real backends: a target killed during steady traffic, and a hung target
// (504 inside its timeout, then ejected).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startRawUpstream, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("chaos", () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  async function gateway(config: Record<string, unknown>): Promise<TestGateway> {
    const gw = await startTestGateway(baseConfig(config as never));
    closers.push(() => gw.close());
    return gw;
  }
  async function upstream(body: string): Promise<TestUpstream> {
    const u = await startUpstream((_req, res) => res.end(body));
    closers.push(() => u.close());
    return u;
  }

  test("a target killed during steady traffic: no GET fails, traffic moves to the others", async () => {
    const a = await upstream("a");
    const b = await upstream("b");
    const gw = await gateway({
      upstreams: [
        {
          name: "pair",
          balancer: "round-robin",
          targets: [{ url: a.url }, { url: b.url }],
          health: { passive: { consecutive5xx: 2, consecutiveGatewayFailures: 1, baseEjectionMs: 30_000 } },
        },
      ],
      routes: [
        { name: "all", match: { path: "/" }, upstream: "pair", retry: { attempts: 3, backoffBaseMs: 1 } },
      ],
    });
    const statuses: number[] = [];
    const bodies: string[] = [];
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const res = await request(`${gw.url}/x`);
        statuses.push(res.statusCode);
        bodies.push(await res.body.text());
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    // Counted, not timed: on a loaded machine 150 ms may hold only a handful of requests.
    const served = async (n: number) => {
      for (let waited = 0; bodies.length < n && waited < 10_000; waited += 10)
        await new Promise((r) => setTimeout(r, 10));
    };
    await served(40);
    const killedAt = bodies.length;
    await a.close(); // connections cut, port closed
    await served(killedAt + 60);
    stop = true;
    await Promise.all(loops);
    assert.ok(
      killedAt > 10 && bodies.length > killedAt + 10,
      `traffic ran: ${killedAt} then ${bodies.length}`,
    );
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      "idempotent requests in flight are retried on the other target",
    );
    assert.ok(
      bodies.slice(killedAt + 8).every((b) => b === "b"),
      "after the kill only b serves",
    );
  });

  test("a hung target: 504 inside its timeout, then ejected so traffic stops going to it", async () => {
    const hung = await startRawUpstream(() => {});
    closers.push(() => hung.close());
    const good = await upstream("good");
    const gw = await gateway({
      upstreams: [
        {
          name: "mixed",
          balancer: "round-robin",
          targets: [{ url: hung.url }, { url: good.url }],
          timeouts: { responseHeadersMs: 300 },
          health: { passive: { consecutiveGatewayFailures: 2, baseEjectionMs: 30_000 } },
        },
      ],
      routes: [{ name: "all", match: { path: "/" }, upstream: "mixed" }],
    });
    const results: { status: number; ms: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await request(`${gw.url}/y`);
      await res.body.text();
      results.push({ status: res.statusCode, ms: performance.now() - started });
    }
    const timeouts = results.filter((r) => r.status === 504);
    assert.equal(timeouts.length, 2, JSON.stringify(results));
    assert.ok(
      timeouts.every((r) => r.ms < 3_000),
      "answered within the timeout's reach, never hanging",
    );
    assert.ok(
      results.slice(4).every((r) => r.status === 200),
      JSON.stringify(results),
    );
  });
});
