import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fmix32, fnv1a32, hash32 } from "./hash32.ts";
import { createBalancer } from "./index.ts";
import { pointHash, type RingHashBalancer } from "./ring-hash.ts";
import { type TestTarget, tally, targetsOf } from "./testing.ts";

const all = () => true;
const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const ring = (targets: readonly TestTarget[], opts = {}) =>
  createBalancer("hash", targets, opts) as RingHashBalancer<TestTarget>;
const owners = (b: RingHashBalancer<TestTarget>, usable: (t: TestTarget) => boolean = all) =>
  KEYS.map((k) => b.pick(usable, k)!.id);

describe("hash32", () => {
  test("is FNV-1a (published vectors) followed by murmur3's finalizer", () => {
    assert.equal(fnv1a32(""), 0x811c9dc5);
    assert.equal(fnv1a32("a"), 0xe40c292c);
    assert.equal(fnv1a32("foobar"), 0xbf9cf968);
    assert.equal(fmix32(0), 0);
    for (const s of ["", "a", "10.0.0.1:8080-0", "ünïcode ✓"]) assert.equal(hash32(s), fmix32(fnv1a32(s)));
  });

  test('ring point i of a target is hash32("<id>-<i>"), computed without building the strings', () => {
    const prefix = fnv1a32("10.0.0.1:8080-");
    for (const v of [0, 1, 9, 10, 159, 1000, 65_535])
      assert.equal(pointHash(prefix, v), hash32(`10.0.0.1:8080-${v}`));
  });

  test("neighbouring point names land far apart", () => {
    const a = hash32("10.0.0.1:8080-1");
    const b = hash32("10.0.0.1:8080-2");
    assert.ok(Math.abs(a - b) > 2 ** 20, `${a} ${b}`);
  });
});

describe("consistent hashing ring", () => {
  const N = 10;
  const targets = targetsOf(N);

  test("the same key always goes to the same target, whatever the order targets are listed in", () => {
    const a = owners(ring(targets));
    assert.deepEqual(owners(ring(targets)), a);
    assert.deepEqual(owners(ring([...targets].reverse())), a);
    const b = ring(targets);
    for (let i = 0; i < 5; i++) assert.equal(b.pick(all, "user-42")!.id, a[42]);
  });

  test("keys spread over targets roughly evenly, and in proportion to weight", () => {
    const even = tally(
      KEYS.map((k) => ring(targets).pick(all, k)),
      N,
    );
    for (const c of even) assert.ok(c > 0.6 * (KEYS.length / N) && c < 1.4 * (KEYS.length / N), String(even));
    const weighted = tally(
      KEYS.map((k) => ring(targetsOf(3, [1, 1, 2])).pick(all, k)),
      3,
    );
    const heavy = weighted[2] / KEYS.length;
    assert.ok(heavy > 0.4 && heavy < 0.6, String(weighted));
  });

  test("removing one of N targets moves about 1/N of keys, and only that target's keys", () => {
    const before = owners(ring(targets));
    const removed = targets[3];
    const after = owners(ring(targets.filter((t) => t !== removed)));
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      assert.equal(before[i], removed.id, `${KEYS[i]} moved off ${before[i]}, which was not removed`);
    }
    assert.ok(moved > (0.5 * KEYS.length) / N && moved < (1.5 * KEYS.length) / N, `moved ${moved}`);
  });

  test("adding a target moves about 1/(N+1) of keys, all of them to the new target", () => {
    const before = owners(ring(targets));
    const added = { id: "10.0.1.99:8080", weight: 1, index: N };
    const after = owners(ring([...targets, added]));
    let moved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      assert.equal(after[i], added.id);
    }
    const M = N + 1;
    assert.ok(moved > (0.5 * KEYS.length) / M && moved < (1.5 * KEYS.length) / M, `moved ${moved}`);
  });

  test("an unusable target's keys spread over the others; no other key moves; they come back", () => {
    const b = ring(targets);
    const before = owners(b);
    const down = targets[6];
    const during = owners(b, (t) => t !== down);
    const receivers = new Set<string>();
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] === down.id) {
        assert.notEqual(during[i], down.id);
        receivers.add(during[i]);
      } else {
        assert.equal(during[i], before[i]);
      }
    }
    assert.ok(receivers.size >= N / 2, `only ${receivers.size} targets took the keys`);
    assert.deepEqual(owners(b), before);
  });

  test("avoid sends a key where it would go if its target were down", () => {
    const b = ring(targets);
    for (const key of KEYS.slice(0, 500)) {
      const owner = b.pick(all, key)!;
      assert.equal(
        b.pick(all, key, owner),
        b.pick((t) => t !== owner, key),
      );
    }
  });

  test("without a key, picks spread over every target", () => {
    const b = ring(targets);
    const counts = tally(
      Array.from({ length: 5000 }, () => b.pick(all)),
      N,
    );
    for (const c of counts) assert.ok(c > 250, String(counts));
  });

  test("ring size: points per unit of weight, scaled down past the cap", () => {
    assert.equal(ring(targetsOf(3, [1, 2, 3])).size, 160 * 6);
    assert.equal(ring(targetsOf(2), { pointsPerWeight: 7 }).size, 14);
    const capped = ring(targetsOf(4, [1000, 1000, 1000, 1000]), { maxRingSize: 4000 });
    assert.equal(capped.size, 4000);
    assert.equal(ring(targetsOf(3), { maxRingSize: 1 }).size, 3, "every target keeps at least one point");
    assert.throws(() => ring(targetsOf(3), { maxRingSize: 2 ** 21 }), /maxRingSize/);
  });
});
