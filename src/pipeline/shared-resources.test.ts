import assert from "node:assert/strict";
import { test } from "node:test";
import { Consumers } from "../consumers/directory.ts";
import { planServices, runWarmUps } from "./services.ts";
import { SharedResources } from "./shared-resources.ts";

class Res {
  closed = 0;
  close() {
    this.closed++;
  }
}

test("a shared object lives while any plan holds it and is closed once after the last release", () => {
  const shared = new SharedResources();
  const a = shared.acquire("k", () => new Res());
  const b = shared.acquire("k", () => new Res());
  assert.equal(a, b);
  shared.release("k");
  assert.equal(a.closed, 0);
  shared.release("k");
  assert.equal(a.closed, 1);
  assert.equal(shared.size, 0);
  assert.notEqual(
    shared.acquire("k", () => new Res()),
    a,
  );
});

test("a warm-up of a shared object runs once for every plan, and again only after a failure", async () => {
  const resources = new SharedResources();
  let runs = 0;
  let fail = true;
  const plan = () => {
    const ps = planServices(Consumers.compile([]).consumers, resources);
    ps.services.shared("jwks", () => new Res());
    ps.services.warmUp("fetch", async () => {
      runs++;
      if (fail) throw new Error("provider down");
    });
    return ps;
  };
  const logged: string[] = [];
  const log = (_l: string, m: string) => void logged.push(m);
  assert.deepEqual(await runWarmUps(plan().warmUps, 1000, log), { ok: 0, failed: 1 });
  fail = false;
  assert.deepEqual(await runWarmUps(plan().warmUps, 1000, log), { ok: 1, failed: 0 });
  assert.deepEqual(await runWarmUps(plan().warmUps, 1000, log), { ok: 1, failed: 0 });
  assert.equal(runs, 2);
  assert.equal(logged.length, 1);
});

test("a warm-up that hangs is cut at the bound and reported", async () => {
  const ps = planServices(Consumers.compile([]).consumers);
  ps.services.warmUp("hang", () => new Promise(() => {}));
  const started = performance.now();
  assert.deepEqual(await runWarmUps(ps.warmUps, 50, () => {}), { ok: 0, failed: 1 });
  assert.ok(performance.now() - started < 1000);
});
