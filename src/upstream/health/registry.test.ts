import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { afterEach, describe, test } from "node:test";
import type { ActiveCheckOptions } from "./options.ts";
import { HealthRegistry, type HealthTransition, type HealthUpstreamSpec } from "./registry.ts";
import { Backend, sleep, until } from "./testing.ts";

const fast: ActiveCheckOptions = {
  intervalMs: 50,
  jitterMs: 5,
  timeoutMs: 200,
  unhealthyThreshold: 1,
  healthyThreshold: 1,
};

function upstream(
  name: string,
  backends: Backend[],
  extra: Partial<HealthUpstreamSpec> = {},
): HealthUpstreamSpec {
  return { name, targets: backends.map((b) => ({ id: b.id, origin: b.origin })), ...extra };
}

describe("HealthRegistry", () => {
  const backends: Backend[] = [];
  const registries: HealthRegistry[] = [];

  async function setup(n: number) {
    const bs = await Promise.all(Array.from({ length: n }, () => Backend.start()));
    backends.push(...bs);
    const transitions: (HealthTransition & { probes: number | undefined })[] = [];
    const registry = new HealthRegistry({
      onTransition: (t) => {
        const target = registry
          .snapshot()
          .upstreams.find((u) => u.name === t.upstream)
          ?.targets.find((x) => x.id === t.target);
        transitions.push({ ...t, probes: target?.active?.probes });
      },
    });
    registries.push(registry);
    const target = (upstreamName: string, b: Backend) =>
      registry
        .snapshot()
        .upstreams.find((u) => u.name === upstreamName)
        ?.targets.find((t) => t.id === b.id);
    return { bs, registry, transitions, target };
  }

  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(backends.splice(0).map((b) => b.close()));
  });

  test("isUsable combines the active check and passive ejection; unknown names are usable", async () => {
    const { bs, registry, transitions } = await setup(2);
    const [b1, b2] = bs;
    await registry.sync([
      upstream("api", bs, { activeCheck: fast, outlier: { consecutive5xx: 2, baseEjectionMs: 1_000 } }),
    ]);
    assert.equal(registry.isUsable("api", b1.id, 0), true, "unknown before the first probe");
    await until("both healthy", () => transitions.filter((t) => t.to === "healthy").length === 2);

    b1.mode = 500;
    await until("b1 unusable", () => !registry.isUsable("api", b1.id, Date.now()));
    assert.equal(registry.isUsable("api", b2.id, Date.now()), true);
    b1.mode = 200;
    await until("b1 usable again", () => registry.isUsable("api", b1.id, Date.now()));

    const now = Date.now();
    registry.onResult("api", b2.id, "5xx", now);
    registry.onResult("api", b2.id, "5xx", now);
    assert.equal(registry.isUsable("api", b2.id, now), false, "ejected");
    assert.equal(registry.isUsable("api", b2.id, now + 999), false);
    assert.equal(registry.isUsable("api", b2.id, now + 1_000), true, "ejection over");

    assert.equal(registry.isUsable("nope", b1.id, now), true);
    assert.equal(registry.isUsable("api", "10.9.9.9:1", now), true);
    registry.onResult("nope", b1.id, "5xx", now); // ignored, does not throw

    const passive = transitions.filter((t) => t.check === "passive");
    assert.deepEqual(
      passive.map((t) => [t.upstream, t.target, t.from, t.to]),
      [
        ["api", b2.id, "serving", "ejected"],
        ["api", b2.id, "ejected", "serving"],
      ],
    );
    const b1Active = transitions.filter((t) => t.check === "active" && t.target === b1.id);
    assert.deepEqual(
      b1Active.map((t) => `${t.from}>${t.to}`),
      ["unknown>healthy", "healthy>unhealthy", "unhealthy>healthy"],
    );
  });

  test("sync keeps state and probes of unchanged targets, starts new ones and stops removed ones", async () => {
    const { bs, registry, target } = await setup(3);
    const [b1, b2, b3] = bs;
    const spec = (targets: Backend[]) =>
      upstream("api", targets, { activeCheck: { ...fast }, outlier: { consecutive5xx: 1 } });
    b1.mode = 500;
    await registry.sync([spec([b1, b2])]);
    await until("b1 unhealthy, b2 healthy", () => {
      return (
        target("api", b1)?.active?.state === "unhealthy" && target("api", b2)?.active?.state === "healthy"
      );
    });
    registry.onResult("api", b1.id, "connect-failure", Date.now());
    const before = target("api", b1)!;
    assert.equal(before.passive?.ejections, 1);

    await registry.sync([spec([b1, b3])]);
    const kept = target("api", b1)!;
    assert.equal(kept.active?.state, "unhealthy");
    assert.ok(kept.active!.probes >= before.active!.probes, "same checker: its probe count goes on");
    assert.equal(kept.passive?.ejections, 1, "passive state kept");
    assert.equal(kept.passive?.ejected, true);
    assert.equal(target("api", b2), undefined, "removed target dropped");
    const b2Hits = b2.hits.length;
    await until("b3 healthy", () => target("api", b3)?.active?.state === "healthy");
    await sleep(150);
    assert.equal(b2.hits.length, b2Hits, "removed target no longer probed");

    // A target that comes back starts from scratch.
    await registry.sync([spec([b1, b2, b3])]);
    const back = target("api", b2)!;
    assert.equal(back.active?.probes, 0);
    assert.equal(back.active?.state, "unknown");
    assert.equal(back.passive?.ejections, 0);
  });

  test("changed probe options restart the checker but keep the known state", async () => {
    const { bs, registry, target, transitions } = await setup(1);
    const [b1] = bs;
    b1.mode = 500;
    await registry.sync([upstream("api", bs, { activeCheck: { ...fast, path: "/a" } })]);
    await until("unhealthy", () => target("api", b1)?.active?.state === "unhealthy");
    b1.mode = 200;
    await registry.sync([upstream("api", bs, { activeCheck: { ...fast, path: "/b", healthyThreshold: 2 } })]);
    const restarted = target("api", b1)!;
    assert.equal(restarted.active?.state, "unhealthy");
    assert.equal(restarted.active?.probes, 0, "a new checker");
    await until("healthy", () => target("api", b1)?.active?.state === "healthy");
    assert.equal(transitions.at(-1)?.probes, 2, "thresholds apply: two passes, not one");
    assert.equal(b1.hits.at(-1)?.url, "/b");
  });

  test("dropping the active check stops the probes and makes the target usable", async () => {
    const { bs, registry } = await setup(1);
    const [b1] = bs;
    b1.mode = 503;
    await registry.sync([upstream("api", bs, { activeCheck: fast })]);
    await until("unusable", () => !registry.isUsable("api", b1.id, Date.now()));
    await registry.sync([upstream("api", bs)]);
    assert.equal(registry.isUsable("api", b1.id, Date.now()), true);
    const hits = b1.hits.length;
    await sleep(150);
    assert.equal(b1.hits.length, hits);
    assert.deepEqual(registry.snapshot().upstreams[0].targets[0], {
      id: b1.id,
      usable: true,
      active: null,
      passive: null,
    });
  });

  test("snapshot: per upstream and target, health, ejection end and counters as JSON", async () => {
    const { bs, registry } = await setup(2);
    const [b1, b2] = bs;
    await registry.sync([upstream("api", bs, { activeCheck: fast, outlier: { consecutive5xx: 1 } })]);
    await until("probed", () =>
      registry.snapshot().upstreams[0].targets.every((t) => t.active?.state === "healthy"),
    );
    const now = Date.UTC(2030, 0, 1);
    registry.onResult("api", b2.id, "timeout", now);
    const snap = JSON.parse(JSON.stringify(registry.snapshot(now)));
    assert.equal(snap.upstreams.length, 1);
    const [t1, t2] = snap.upstreams[0].targets;
    assert.equal(t1.id, b1.id);
    assert.equal(t1.usable, true);
    assert.equal(t1.active.state, "healthy");
    assert.equal(t1.active.lastResult, "status 200");
    assert.equal(typeof t1.active.lastProbeAt, "string");
    assert.ok(t1.active.probes >= 1);
    assert.deepEqual(t1.passive, {
      ejected: false,
      ejectedUntil: null,
      ejections: 0,
      skippedEjections: 0,
      consecutive5xx: 0,
      consecutiveGatewayFailures: 0,
    });
    assert.equal(t2.usable, false);
    assert.equal(t2.passive.ejected, true);
    assert.equal(t2.passive.ejectedUntil, new Date(now + 30_000).toISOString());
  });

  test("an invalid spec throws and changes nothing", async () => {
    const { bs, registry } = await setup(1);
    await registry.sync([upstream("api", bs, { activeCheck: fast })]);
    const before = JSON.stringify(registry.snapshot(0).upstreams.map((u) => u.targets.map((t) => t.id)));
    assert.throws(
      () => registry.sync([upstream("other", bs, { activeCheck: { expectedStatuses: ["2xy"] } })]),
      /^Error: upstream other: expected statuses: "2xy"/,
    );
    assert.throws(
      () => registry.sync([{ name: "api", targets: [{ id: "x:1" }], activeCheck: fast }]),
      /upstream api: target x:1 has no origin to probe/,
    );
    assert.throws(() => registry.sync([upstream("api", bs, { outlier: { maxEjectedPercent: 0 } })]));
    assert.equal(
      JSON.stringify(registry.snapshot(0).upstreams.map((u) => u.targets.map((t) => t.id))),
      before,
    );
  });

  test("removing upstreams closes every probe connection and timer", async () => {
    const tcp = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const { bs, registry, transitions } = await setup(3);
    const socketsBefore = tcp();
    const timersBefore = timers();
    await registry.sync([
      upstream("a", bs.slice(0, 2), { activeCheck: fast }),
      upstream("b", bs.slice(2), { activeCheck: fast }),
    ]);
    await until("all healthy", () => transitions.length === 3);
    assert.ok(tcp() > socketsBefore, "probes keep connections open");
    await registry.sync([]);
    assert.deepEqual(registry.snapshot().upstreams, []);
    // Both ends of each probe connection (ours and the backend's) close.
    await until("sockets closed", () => tcp() === socketsBefore, 1_000);
    assert.equal(timers(), timersBefore);
  });

  test("close() stops everything; the registry refuses further syncs", async () => {
    const { bs, registry } = await setup(1);
    await registry.sync([upstream("api", bs, { activeCheck: fast })]);
    await until("probed", () => bs[0].hits.length > 0);
    await registry.close();
    const hits = bs[0].hits.length;
    await sleep(150);
    assert.equal(bs[0].hits.length, hits);
    assert.throws(() => registry.sync([]), /closed/);
  });

  test("a registry left running does not keep the process alive", async () => {
    const b = await Backend.start();
    backends.push(b);
    const script = `
      import { HealthRegistry } from ${JSON.stringify(new URL("./registry.ts", import.meta.url).href)};
      const r = new HealthRegistry();
      r.sync([{ name: "u", targets: [{ id: ${JSON.stringify(b.id)}, origin: ${JSON.stringify(b.origin)} }],
        activeCheck: { intervalMs: 50, jitterMs: 0 } }]);
      setTimeout(() => console.log(JSON.stringify(r.snapshot().upstreams[0].targets[0].active)), 300);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, "exited on its own, not killed");
    assert.equal(code, 0, err);
    const active = JSON.parse(out);
    assert.equal(active.state, "healthy");
    assert.ok(active.probes >= 3, `probes ran meanwhile (${active.probes})`);
  });
});
