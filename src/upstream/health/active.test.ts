import assert from "node:assert/strict";
import { after, afterEach, describe, test } from "node:test";
import { ActiveHealthCheck } from "./active.ts";
import type { ActiveCheckOptions, HealthState } from "./options.ts";
import { Backend, sleep, until } from "./testing.ts";

interface Seen {
  from: HealthState;
  to: HealthState;
  reason: string;
  /** Backend answers and probes counted when the transition fired. */
  answers: Record<number, number>;
  probes: number;
}

describe("ActiveHealthCheck", () => {
  const backends: Backend[] = [];
  const checkers: ActiveHealthCheck[] = [];

  async function setup(options: ActiveCheckOptions = {}) {
    const backend = await Backend.start();
    backends.push(backend);
    const seen: Seen[] = [];
    const checker = new ActiveHealthCheck({
      target: { id: backend.id, origin: backend.origin },
      options: { intervalMs: 50, jitterMs: 5, timeoutMs: 200, ...options },
      onTransition: (id, from, to, reason) => {
        assert.equal(id, backend.id);
        const probes = checker.stats().probes;
        seen.push({ from, to, reason, answers: Object.fromEntries(backend.answered), probes });
      },
    });
    checkers.push(checker);
    return { backend, checker, seen };
  }

  afterEach(async () => {
    await Promise.all(checkers.splice(0).map((c) => c.stop()));
    await Promise.all(backends.splice(0).map((b) => b.close()));
  });
  after(() => assert.equal(checkers.length, 0));

  test("unknown until the first probe, which alone decides; unknown is usable", async () => {
    const { checker, seen } = await setup({ healthyThreshold: 3 });
    assert.equal(checker.state, "unknown");
    assert.equal(checker.usable, true);
    checker.start();
    await until("first transition", () => seen.length === 1);
    assert.deepEqual(
      seen.map((s) => [s.from, s.to, s.reason]),
      [["unknown", "healthy", "first probe: status 200"]],
    );
    assert.equal(seen[0].probes, 1);
  });

  test("unhealthyThreshold failures in a row make it unhealthy, healthyThreshold passes heal it", async () => {
    const { backend, checker, seen } = await setup({ unhealthyThreshold: 3, healthyThreshold: 2 });
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    backend.mode = 500;
    await until("unhealthy", () => checker.state === "unhealthy");
    const down = seen[1];
    assert.equal(down.from, "healthy");
    assert.equal(down.answers[500], 3, "exactly three failed probes before the transition");
    assert.match(down.reason, /^3 consecutive failed probes, last: status 500$/);
    assert.equal(checker.usable, false);

    const okBefore = backend.count(200);
    backend.mode = 200;
    await until("healthy again", () => checker.state === "healthy");
    assert.equal(seen[2].answers[200] - okBefore, 2, "exactly two passing probes before the transition");
    assert.equal(seen.length, 3);
  });

  test("a failure in between restarts the count", async () => {
    const { backend, checker, seen } = await setup({ unhealthyThreshold: 2, healthyThreshold: 1 });
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    // 503 and 200 alternate: never two failures in a row.
    backend.script = [503, 200];
    const start = checker.stats().probes;
    await until("eight more probes", () => checker.stats().probes >= start + 8);
    assert.equal(backend.count(503) >= 4, true);
    assert.deepEqual(
      seen.map((s) => s.to),
      ["healthy"],
    );
  });

  test("a probe that hangs past timeoutMs is a failure", async () => {
    const { backend, checker, seen } = await setup({ unhealthyThreshold: 2, timeoutMs: 100 });
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    backend.mode = "hang";
    const t0 = Date.now();
    await until("unhealthy", () => checker.state === "unhealthy");
    assert.match(seen[1].reason, /last: timeout$/);
    assert.equal(checker.stats().lastResult, "timeout");
    assert.ok(Date.now() - t0 < 1_500, "two timeouts of 100 ms plus intervals");
  });

  test("a refused connection is a failure; the target heals when it listens again", async () => {
    const { backend, checker, seen } = await setup({ unhealthyThreshold: 1, healthyThreshold: 1 });
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    await backend.refuse();
    await until("unhealthy", () => checker.state === "unhealthy");
    assert.match(seen[1].reason, /connect-failure \(ECONNREFUSED\)|connection closed/);
    await backend.resume();
    await until("healthy again", () => checker.state === "healthy");
  });

  test("expected statuses: codes, classes and ranges", async () => {
    const { backend, checker } = await setup({
      unhealthyThreshold: 1,
      healthyThreshold: 1,
      expectedStatuses: ["2xx", 418, "300-301"],
    });
    backend.mode = 418;
    checker.start();
    await until("healthy on 418", () => checker.state === "healthy");
    backend.mode = 302;
    await until("unhealthy on 302", () => checker.state === "unhealthy");
    backend.mode = 301;
    await until("healthy on 301", () => checker.state === "healthy");
    backend.mode = 500;
    await until("unhealthy on 500", () => checker.state === "unhealthy");
    backend.mode = 204;
    await until("healthy on 204", () => checker.state === "healthy");
  });

  test("default expects 2xx only: a redirect is a failure", async () => {
    const { backend, checker } = await setup({ unhealthyThreshold: 1 });
    backend.mode = 302;
    checker.start();
    await until("unhealthy", () => checker.state === "unhealthy");
  });

  test("probe sends the configured method, path and Host header", async () => {
    const { backend, checker } = await setup({
      method: "HEAD",
      path: "/healthz?deep=1",
      host: "svc.internal",
    });
    checker.start();
    await until("a probe", () => backend.hits.length > 0);
    assert.deepEqual(backend.hits[0], { method: "HEAD", url: "/healthz?deep=1", host: "svc.internal" });
    await until("healthy", () => checker.state === "healthy");
  });

  test("initialState unhealthy: no traffic until a probe passes, and one pass is enough", async () => {
    const { checker, seen } = await setup({ initialState: "unhealthy", healthyThreshold: 3 });
    assert.equal(checker.usable, false);
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    assert.deepEqual([seen[0].from, seen[0].to, seen[0].probes], ["unhealthy", "healthy", 1]);
  });

  test("resume carries a known state and applies the thresholds from the start", async () => {
    const backend = await Backend.start();
    backends.push(backend);
    const probesAtTransition: number[] = [];
    const checker = new ActiveHealthCheck({
      target: { id: backend.id, origin: backend.origin },
      options: { intervalMs: 50, jitterMs: 0, healthyThreshold: 2 },
      resume: "unhealthy",
      onTransition: () => probesAtTransition.push(checker.stats().probes),
    });
    checkers.push(checker);
    assert.equal(checker.usable, false);
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    assert.deepEqual(probesAtTransition, [2], "one pass is not enough for a resumed state");
  });

  test("stop() during a hanging probe returns promptly, and nothing runs afterwards", async () => {
    const { backend, checker, seen } = await setup({ timeoutMs: 5_000, unhealthyThreshold: 1 });
    checker.start();
    await until("healthy", () => checker.state === "healthy");
    backend.mode = "hang";
    const hits = backend.hits.length;
    await until("hanging probe", () => backend.hits.length > hits);
    const t0 = Date.now();
    await checker.stop();
    assert.ok(Date.now() - t0 < 1_000, "stop does not wait for the probe's deadline");
    const after = backend.hits.length;
    await sleep(200);
    assert.equal(backend.hits.length, after, "no probe after stop");
    assert.equal(seen.length, 1, "no transition after stop");
    assert.equal(checker.state, "healthy");
  });
});
