// The contract every balancer kind keeps: only usable targets, `avoid` only as a last resort, undefined
// when nothing is usable, each target asked at most once per pick.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BALANCER_KINDS, type BalancerKind, createBalancer } from "./index.ts";
import { seededRandom, type TestTarget, tally, targetsOf } from "./testing.ts";

const idle = () => 0;
const make = (kind: BalancerKind, targets: readonly TestTarget[]) =>
  createBalancer(kind, targets, { inflight: idle, random: seededRandom(7) });
const all = () => true;
const none = () => false;

for (const kind of BALANCER_KINDS) {
  describe(`${kind} balancer contract`, () => {
    const targets = targetsOf(5, [1, 2, 1, 3, 1]);

    test("picks only listed targets, and every one of them over many picks", () => {
      const b = make(kind, targets);
      const picks = Array.from({ length: 2000 }, (_, i) => b.pick(all, `k${i}`));
      for (const p of picks) assert.ok(p !== undefined && targets.includes(p));
      for (const c of tally(picks, 5)) assert.ok(c > 0);
    });

    test("all unusable, or no targets at all: undefined", () => {
      assert.equal(make(kind, targets).pick(none, "k"), undefined);
      assert.equal(make(kind, targets).pick(none, "k", targets[2]), undefined);
      assert.equal(make(kind, []).pick(all, "k"), undefined);
    });

    test("skips unusable targets and still uses all the others", () => {
      const b = make(kind, targets);
      const down = new Set([targets[1], targets[3]]);
      const usable = (t: TestTarget) => !down.has(t);
      const counts = tally(
        Array.from({ length: 2000 }, (_, i) => b.pick(usable, `k${i}`)),
        5,
      );
      assert.equal(counts[1] + counts[3], 0);
      assert.ok(counts[0] > 0 && counts[2] > 0 && counts[4] > 0, String(counts));
      assert.equal(
        counts.reduce((a, c) => a + c, 0),
        2000,
      );
    });

    test("a single usable target is found wherever the pick starts", () => {
      const b = make(kind, targets);
      const only = (t: TestTarget) => t === targets[4];
      for (let i = 0; i < 200; i++) assert.equal(b.pick(only, `k${i}`), targets[4]);
    });

    test("avoid: never chosen while another target is usable, chosen when it is the only one", () => {
      const b = make(kind, targets);
      for (let i = 0; i < 500; i++) assert.notEqual(b.pick(all, `k${i}`, targets[3]), targets[3]);
      const onlyAvoided = (t: TestTarget) => t === targets[3] || t === targets[0];
      for (let i = 0; i < 100; i++) {
        assert.equal(b.pick(onlyAvoided, `k${i}`, targets[3]), targets[0]);
      }
      const justAvoided = (t: TestTarget) => t === targets[3];
      assert.equal(b.pick(justAvoided, "k", targets[3]), targets[3]);
      const foreign = { id: "elsewhere:1", weight: 1, index: 9 };
      assert.equal(
        b.pick((t) => t === foreign, "k", foreign),
        undefined,
      );
    });

    test("asks `usable` at most once per target per pick", () => {
      const b = make(kind, targets);
      const asked = new Map<TestTarget, number>();
      const counting = (t: TestTarget) => {
        asked.set(t, (asked.get(t) ?? 0) + 1);
        return t === targets[2];
      };
      for (let i = 0; i < 300; i++) {
        asked.clear();
        assert.equal(b.pick(counting, `k${i}`, targets[0]), targets[2]);
        for (const [t, n] of asked) assert.equal(n, 1, `${t.id} asked ${n} times`);
      }
    });

    test("one target: picked when usable, undefined when not", () => {
      const one = targetsOf(1);
      const b = make(kind, one);
      assert.equal(b.pick(all, "k"), one[0]);
      assert.equal(b.pick(all, "k", one[0]), one[0]);
      assert.equal(b.pick(none, "k"), undefined);
    });
  });
}

describe("createBalancer rejects target lists no config should produce", () => {
  test("bad weights, duplicate ids, unknown kinds, least-request without counts", () => {
    const t = targetsOf(2);
    assert.throws(() => createBalancer("weighted", [{ id: "a:1", weight: 0 }]), /weight/);
    assert.throws(() => createBalancer("hash", [{ id: "a:1", weight: 1.5 }]), /weight/);
    assert.throws(() => createBalancer("round-robin", [t[0], { ...t[1], id: t[0].id }]), /twice/);
    assert.throws(() => createBalancer("least-request", t), /inflight/);
    assert.throws(() => createBalancer("random" as BalancerKind, t), /unknown/);
    assert.throws(() => createBalancer("hash", t, { pointsPerWeight: 0 }), /pointsPerWeight/);
  });

  test("the balancer keeps its own copy of the target list", () => {
    const t = targetsOf(3);
    const b = createBalancer("round-robin", t);
    t.pop();
    assert.equal(b.targets.length, 3);
    assert.ok(Object.isFrozen(b.targets));
  });
});
