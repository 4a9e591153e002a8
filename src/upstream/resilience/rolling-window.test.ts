import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RollingWindow } from "./rolling-window.ts";

describe("RollingWindow", () => {
  test("counts both channels inside the window", () => {
    const w = new RollingWindow(10_000, 10);
    w.add0(0);
    w.add0(500);
    w.add1(999);
    w.add1(5_000);
    assert.equal(w.sum0(9_999), 2);
    assert.equal(w.sum1(9_999), 2);
  });

  test("drops buckets one by one as they leave the window", () => {
    const w = new RollingWindow(10_000, 10);
    for (let s = 0; s < 10; s++) w.add1(s * 1_000 + 10);
    assert.equal(w.sum1(9_999), 10);
    assert.equal(w.sum1(10_000), 9, "bucket 0 left");
    assert.equal(w.sum1(14_500), 5);
    assert.equal(w.sum1(18_999), 1);
    assert.equal(w.sum1(19_000), 0);
  });

  test("an idle gap longer than the window forgets everything, not just one bucket", () => {
    // cockatiel 4.0.0's SamplingBreaker rotates one bucket per call: after this gap it still counted 9.
    const w = new RollingWindow(10_000, 10);
    let t = 1_000_000;
    for (let i = 0; i < 9; i++) {
      w.add1(t);
      t += 1_000;
    }
    t += 60_000;
    w.add1(t);
    assert.equal(w.sum1(t), 1);
  });

  test("a gap shorter than the window keeps the buckets still inside it", () => {
    const w = new RollingWindow(1_000, 4);
    w.add0(0);
    w.add0(300);
    w.add0(600);
    assert.equal(w.sum0(1_100), 2, "only the bucket of t=0 (0-249) left");
    assert.equal(w.sum0(1_300), 1);
  });

  test("a clock that steps back counts into the newest bucket", () => {
    const w = new RollingWindow(1_000, 10);
    w.add1(5_000);
    w.add1(4_000);
    assert.equal(w.sum1(5_000), 2);
    assert.equal(w.sum1(5_999), 2);
    assert.equal(w.sum1(6_000), 0);
  });

  test("fractional clocks (performance.now) work", () => {
    const w = new RollingWindow(1_000, 10);
    w.add0(0.3);
    w.add0(99.9);
    w.add0(100.1);
    assert.equal(w.sum0(1_099.99), 1);
  });

  test("clear empties both channels", () => {
    const w = new RollingWindow(1_000, 2);
    w.add0(1);
    w.add1(1);
    w.clear();
    assert.equal(w.sum0(1), 0);
    assert.equal(w.sum1(1), 0);
  });

  test("rejects a window finer than 1 ms per bucket or without buckets", () => {
    assert.throws(() => new RollingWindow(5, 10), RangeError);
    assert.throws(() => new RollingWindow(1_000, 0), RangeError);
    assert.throws(() => new RollingWindow(1_000, 2.5), RangeError);
  });
});
