import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { Bulkhead, DEFAULT_BULKHEAD } from "./bulkhead.ts";

describe("Bulkhead", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  test("admits up to maxConcurrent, then refuses; leave frees a slot", () => {
    const b = new Bulkhead({ maxConcurrent: 2, maxQueue: 0, maxWaitMs: 0 });
    assert.equal(b.tryEnter(), true);
    assert.equal(b.tryEnter(), true);
    assert.equal(b.tryEnter(), false);
    assert.equal(b.active, 2);
    b.leave();
    assert.equal(b.active, 1);
    assert.equal(b.tryEnter(), true);
  });

  test("the fast path answers a plain boolean (no promise)", () => {
    const b = new Bulkhead(DEFAULT_BULKHEAD);
    assert.equal(typeof b.tryEnter(), "boolean");
  });

  test("without a queue a full bulkhead refuses at once", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 0 });
    b.tryEnter();
    assert.equal(
      b.enqueue(() => assert.fail("never called")),
      null,
    );
    assert.equal(b.queued, 0);
  });

  test("waiters are admitted in FIFO order as slots are left, keeping the slot count", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 3, maxWaitMs: 1_000 });
    const order: string[] = [];
    b.tryEnter();
    for (const name of ["a", "b", "c"]) {
      assert.notEqual(
        b.enqueue((ok) => order.push(`${name}:${ok}`)),
        null,
      );
    }
    assert.equal(b.queued, 3);
    b.leave();
    assert.deepEqual(order, ["a:true"], "admitted synchronously inside leave()");
    assert.equal(b.active, 1, "the slot passed to the waiter");
    assert.equal(b.tryEnter(), false, "no slot free while others wait");
    b.leave();
    b.leave();
    assert.deepEqual(order, ["a:true", "b:true", "c:true"]);
    b.leave();
    assert.equal(b.active, 0);
  });

  test("a full queue refuses at once", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 1_000 });
    b.tryEnter();
    assert.notEqual(
      b.enqueue(() => {}),
      null,
    );
    assert.equal(
      b.enqueue(() => assert.fail("never called")),
      null,
    );
  });

  test("a waiter gives up after maxWaitMs, not before", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 500 });
    const got: boolean[] = [];
    b.tryEnter();
    b.enqueue((ok) => got.push(ok));
    mock.timers.tick(499);
    assert.deepEqual(got, []);
    mock.timers.tick(1);
    assert.deepEqual(got, [false]);
    assert.equal(b.queued, 0);
    b.leave();
    assert.equal(b.active, 0, "the expired waiter took no slot");
    assert.deepEqual(got, [false], "called once");
  });

  test("an admitted waiter's timer is cleared", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, maxWaitMs: 500 });
    const got: boolean[] = [];
    b.tryEnter();
    b.enqueue((ok) => got.push(ok));
    mock.timers.tick(100);
    b.leave();
    mock.timers.tick(1_000);
    assert.deepEqual(got, [true]);
    assert.equal(b.active, 1);
  });

  test("cancel leaves the queue silently; after admission it is a no-op", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 500 });
    const got: string[] = [];
    b.tryEnter();
    const first = b.enqueue((ok) => got.push(`first:${ok}`));
    const second = b.enqueue((ok) => got.push(`second:${ok}`));
    first?.cancel();
    assert.equal(b.queued, 1);
    b.leave();
    assert.deepEqual(got, ["second:true"], "the cancelled waiter is skipped");
    second?.cancel();
    assert.equal(b.active, 1, "cancel after admission does not give the slot back");
    mock.timers.tick(1_000);
    assert.deepEqual(got, ["second:true"]);
  });

  test("a waiter may leave its slot from inside the admit callback", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, maxWaitMs: 500 });
    const got: string[] = [];
    b.tryEnter();
    b.enqueue(() => {
      got.push("a");
      b.leave(); // e.g. its dispatch failed at once
    });
    b.enqueue(() => got.push("b"));
    b.leave();
    assert.deepEqual(got, ["a", "b"]);
    assert.equal(b.active, 1);
    assert.equal(b.queued, 0);
  });

  test("leave without enter is a bug and says so", () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 0, maxWaitMs: 0 });
    assert.throws(() => b.leave(), /without a matching enter/);
  });

  test("nonsense options are refused", () => {
    assert.throws(() => new Bulkhead({ maxConcurrent: 0, maxQueue: 0, maxWaitMs: 0 }), RangeError);
    assert.throws(() => new Bulkhead({ maxConcurrent: 1, maxQueue: -1, maxWaitMs: 0 }), RangeError);
    assert.throws(() => new Bulkhead({ maxConcurrent: 1, maxQueue: 5, maxWaitMs: 0 }), RangeError);
  });
});
