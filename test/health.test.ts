// Target health through the running gateway: passive ejection moves traffic off a failing target, active
// probes take a dead one out, no usable target answers 503 NO_HEALTHY_UPSTREAM at once, and the admin
// listener shows the state. Also the hash balancer's stickiness.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { closedPort, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

describe("target health and balancing", () => {
  let good: TestUpstream;
  let bad: TestUpstream;
  let dead: number;
  let gw: TestGateway;

  before(async () => {
    good = await startUpstream((_req, res) => res.end("good"));
    bad = await startUpstream((_req, res) => {
      res.statusCode = 500;
      res.end("bad");
    });
    dead = await closedPort();
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "passive",
            balancer: "round-robin",
            targets: [{ url: good.url }, { url: bad.url }],
            health: { passive: { consecutive5xx: 2, baseEjectionMs: 60_000, maxEjectedPercent: 50 } },
          },
          {
            name: "active",
            balancer: "round-robin",
            targets: [{ url: good.url }, { url: `http://127.0.0.1:${dead}` }],
            health: {
              active: { intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 1, healthyThreshold: 1 },
            },
          },
          {
            name: "none",
            targets: [{ url: `http://127.0.0.1:${dead}` }],
            health: {
              active: { intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 1, healthyThreshold: 1 },
            },
          },
          {
            name: "sticky",
            balancer: { kind: "hash", key: { header: "x-user" } },
            targets: [{ url: good.url }, { url: bad.url }],
          },
        ],
        routes: [
          { name: "passive", match: { path: "/passive" }, upstream: "passive" },
          { name: "active", match: { path: "/active" }, upstream: "active" },
          { name: "none", match: { path: "/none" }, upstream: "none" },
          { name: "sticky", match: { path: "/sticky" }, upstream: "sticky" },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await good.close();
    await bad.close();
  });

  test("consecutive 5xx eject a target: traffic moves to the healthy one", async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 12; i++) bodies.push((await get(`${gw.url}/passive`)).body);
    // Round robin alternates until the bad target's second 500 ejects it; after that only "good".
    const firstGoodRun = bodies.findIndex((_, i) => bodies.slice(i).every((b) => b === "good"));
    assert.ok(firstGoodRun !== -1 && firstGoodRun <= 4, bodies.join(","));
    assert.equal(bodies.filter((b) => b === "bad").length, 2);
  });

  test("an actively probed dead target gets no traffic once a probe fails", async () => {
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 8; i++) {
      const r = await get(`${gw.url}/active`);
      assert.equal(r.status, 200);
      assert.equal(r.body, "good");
    }
  });

  test("no usable target: 503 NO_HEALTHY_UPSTREAM at once, not a connect attempt", async () => {
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    const r = await get(`${gw.url}/none`);
    assert.equal(r.status, 503);
    assert.equal((JSON.parse(r.body) as { code: string }).code, "NO_HEALTHY_UPSTREAM");
    assert.ok(performance.now() - started < 1_000);
    const line = gw.logs().find((l) => (l.url as { path?: string } | undefined)?.path === "/none");
    assert.equal((line!.portcullis as { flag: string }).flag, "UH");
  });

  test("the hash balancer sends one key to one target", async () => {
    for (const user of ["alice", "bob", "carol"]) {
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) seen.add((await get(`${gw.url}/sticky`, { "x-user": user })).body);
      assert.equal(seen.size, 1, user);
    }
  });

  test("the admin listener shows balancers, targets and health", async () => {
    const res = await request(`${gw.adminUrl}/upstreams`);
    const report = (await res.body.json()) as {
      upstreams: { name: string; balancer: string; targets: { id: string; usable?: boolean }[] }[];
    };
    const passive = report.upstreams.find((u) => u.name === "passive")!;
    assert.equal(passive.balancer, "round-robin");
    const badTarget = passive.targets.find((t) => t.id === `127.0.0.1:${bad.port}`)!;
    assert.equal(badTarget.usable, false);
    const none = report.upstreams.find((u) => u.name === "none")!;
    assert.equal(none.targets[0].usable, false);
  });
});
