import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBalancer } from "./index.ts";
import { smoothWeightedCycle } from "./sequence.ts";
import { type TestTarget, tally, targetsOf } from "./testing.ts";

const all = () => true;
const first = () => 0;
const names = "abcdefgh";
type Usable = (t: TestTarget) => boolean;
const run = (b: { pick(u: Usable): TestTarget | undefined }, n: number, usable: Usable = all) =>
  Array.from({ length: n }, () => names[b.pick(usable)?.index ?? 7]).join("");

describe("round robin", () => {
  test("takes targets in turn, ignoring weight, exactly even", () => {
    const b = createBalancer("round-robin", targetsOf(3, [5, 1, 1]), { random: first });
    assert.equal(run(b, 9), "abcabcabc");
    const counts = tally(
      Array.from({ length: 3000 }, () => b.pick(all)),
      3,
    );
    assert.deepEqual(counts, [1000, 1000, 1000]);
  });

  test("starts at a random place in the cycle", () => {
    const b = createBalancer("round-robin", targetsOf(4), { random: () => 0.6 });
    assert.equal(run(b, 5), "cdabc");
  });

  test("an unusable target's turns are shared, not all given to its successor", () => {
    const t = targetsOf(3);
    const b = createBalancer("round-robin", t, { random: first });
    const usable = (x: TestTarget) => x !== t[1];
    assert.equal(run(b, 6, usable), "acacac");
    assert.equal(run(b, 3), "abc");
  });

  test("avoid moves the pick on without skipping a turn for the others", () => {
    const t = targetsOf(3);
    const b = createBalancer("round-robin", t, { random: first });
    assert.equal(b.pick(all, undefined, t[0]), t[1]);
    assert.equal(run(b, 3), "cab");
  });
});

describe("weighted round robin (nginx smooth)", () => {
  test("the cycle for 5,1,1 is nginx's a a b a c a a", () => {
    const b = createBalancer("weighted", targetsOf(3, [5, 1, 1]), { random: first });
    assert.equal(run(b, 14), "aabacaaaabacaa");
  });

  test("exact shares over whole cycles, whatever the start", () => {
    const weights = [3, 2, 1, 4];
    for (const start of [0, 0.3, 0.99]) {
      const b = createBalancer("weighted", targetsOf(4, weights), { random: () => start });
      const counts = tally(
        Array.from({ length: 10 * 50 }, () => b.pick(all)),
        4,
      );
      assert.deepEqual(
        counts,
        weights.map((w) => w * 50),
      );
    }
  });

  test("smooth: a heavy target's turns are spread through the cycle, not bunched", () => {
    assert.deepEqual([...smoothWeightedCycle([3, 1])], [0, 0, 1, 0]);
    assert.equal(smoothWeightedCycle([10, 1]).indexOf(1), 5);
  });

  test("weights are reduced by their common divisor", () => {
    assert.equal(smoothWeightedCycle([100, 200]).length, 3);
    assert.equal(smoothWeightedCycle([7, 7, 7]).length, 3);
    assert.equal(smoothWeightedCycle([]).length, 0);
  });

  test("an unusable target's turns go to the next in the cycle; the others keep their ratio", () => {
    const t = targetsOf(3, [5, 1, 1]);
    const b = createBalancer("weighted", t, { random: first });
    const counts = tally(
      Array.from({ length: 600 }, () => b.pick((x) => x !== t[1])),
      3,
    );
    assert.deepEqual(counts, [500, 0, 100]);
  });
});
