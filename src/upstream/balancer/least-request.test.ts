import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBalancer } from "./index.ts";
import { seededRandom, type TestTarget, tally, targetsOf } from "./testing.ts";

const all = () => true;

function withCounts(weights: readonly number[], seed = 1) {
  const targets = targetsOf(weights.length, weights);
  const inflight = new Float64Array(targets.length);
  const b = createBalancer("least-request", targets, {
    inflight: (t: TestTarget) => inflight[t.index],
    random: seededRandom(seed),
  });
  return { targets, inflight, b };
}

describe("least request (power of two choices)", () => {
  test("the strictly busiest target is never picked: the two choices are distinct", () => {
    const { inflight, b } = withCounts([1, 1, 1, 1]);
    inflight.set([50, 3, 3, 3]);
    const counts = tally(
      Array.from({ length: 4000 }, () => b.pick(all)),
      4,
    );
    assert.equal(counts[0], 0);
    for (const c of counts.slice(1)) assert.ok(c > 1000, String(counts));
  });

  test("prefers idle targets: the idle one wins every draw it is in", () => {
    const { inflight, b } = withCounts([1, 1, 1, 1]);
    inflight.set([5, 5, 0, 5]);
    const counts = tally(
      Array.from({ length: 4000 }, () => b.pick(all)),
      4,
    );
    // Target 2 is in a draw with probability 1/2 and wins all of those.
    assert.ok(counts[2] > 1800 && counts[2] < 2200, String(counts));
  });

  test("with equal load, spreads evenly", () => {
    const { b } = withCounts([1, 1, 1, 1, 1]);
    const counts = tally(
      Array.from({ length: 10_000 }, () => b.pick(all)),
      5,
    );
    for (const c of counts) assert.ok(c > 1800 && c < 2200, String(counts));
  });

  test("two targets: always the less loaded; ties go either way", () => {
    const { inflight, b, targets } = withCounts([1, 1]);
    inflight.set([1, 0]);
    for (let i = 0; i < 100; i++) assert.equal(b.pick(all), targets[1]);
    inflight.set([0, 0]);
    const counts = tally(
      Array.from({ length: 1000 }, () => b.pick(all)),
      2,
    );
    assert.ok(counts[0] > 400 && counts[1] > 400, String(counts));
  });

  test("load is (in flight + 1) / weight", () => {
    const { inflight, b, targets } = withCounts([1, 3]);
    inflight.set([0, 0]);
    assert.equal(b.pick(all), targets[1], "an idle heavy target beats an idle light one");
    inflight.set([1, 4]);
    assert.equal(b.pick(all), targets[1], "5/3 beats 2/1");
    inflight.set([1, 6]);
    assert.equal(b.pick(all), targets[0], "2/1 beats 7/3");
  });

  test("steady state: long-lived requests end up in proportion to weight", () => {
    const { inflight, b } = withCounts([1, 3, 2], 42);
    const rnd = seededRandom(99);
    const live: number[] = [];
    const picks = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) {
      const t = b.pick(all)!;
      inflight[t.index]++;
      live.push(t.index);
      picks[t.index]++;
      if (live.length > 60) {
        const j = Math.floor(rnd() * live.length);
        inflight[live[j]]--;
        live[j] = live[live.length - 1];
        live.pop();
      }
    }
    const total = picks[0] + picks[1] + picks[2];
    const share = picks.map((p) => p / total);
    assert.ok(Math.abs(share[0] - 1 / 6) < 0.05, String(share));
    assert.ok(Math.abs(share[1] - 3 / 6) < 0.05, String(share));
    assert.ok(Math.abs(share[2] - 2 / 6) < 0.05, String(share));
  });

  test("unusable targets are replaced by usable ones, still comparing load", () => {
    const { inflight, b, targets } = withCounts([1, 1, 1, 1, 1, 1]);
    inflight.set([0, 0, 0, 0, 9, 0]);
    const down = new Set([targets[0], targets[1], targets[2], targets[3]]);
    // Only 4 and 5 are usable; 5 is idle, so every pick that finds both takes 5.
    const counts = tally(
      Array.from({ length: 1000 }, () => b.pick((t) => !down.has(t))),
      6,
    );
    assert.deepEqual(counts, [0, 0, 0, 0, 0, 1000]);
  });
});
