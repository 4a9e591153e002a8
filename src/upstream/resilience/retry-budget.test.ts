import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from "./retry-budget.ts";

const BASE: RetryBudgetOptions = { ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000, buckets: 10 };

function spend(b: RetryBudget, now: number): number {
  let n = 0;
  while (b.tryRetry(now)) n++;
  return n;
}

describe("RetryBudget", () => {
  test("a quiet upstream still gets the floor: minRetriesPerSecond × window seconds", () => {
    const b = new RetryBudget(BASE);
    assert.equal(spend(b, 0), 10);
    assert.equal(b.tryRetry(0), false);
  });

  test("under load retries are capped at the ratio of requests, not ratio plus floor", () => {
    const b = new RetryBudget(BASE);
    for (let i = 0; i < 1_000; i++) b.recordRequest(i * 5); // 1000 requests over 5 s
    assert.equal(spend(b, 5_000), 200);
    assert.deepEqual(b.snapshot(5_000), { requests: 1_000, retries: 200, allowed: 200 });
  });

  test("retries come back as the window rolls on", () => {
    const b = new RetryBudget(BASE);
    for (let i = 0; i < 100; i++) b.recordRequest(0);
    assert.equal(spend(b, 0), 20);
    for (let i = 0; i < 100; i++) b.recordRequest(9_000);
    assert.equal(spend(b, 9_000), 20, "200 requests allow 40, 20 spent");
    // At 10 s the first bucket (100 requests, 20 retries) leaves: 100 requests, 20 retries remain.
    assert.equal(b.tryRetry(10_000), false);
    // At 19 s everything left: only the floor.
    assert.equal(spend(b, 19_000), 10);
  });

  test("retries do not earn retries", () => {
    const b = new RetryBudget({ ...BASE, minRetriesPerSecond: 0 });
    for (let i = 0; i < 10; i++) b.recordRequest(0);
    assert.equal(spend(b, 0), 2);
    assert.equal(b.snapshot(0).requests, 10);
  });

  test("a ratio that lands a hair under an integer still allows it", () => {
    const b = new RetryBudget({ ...BASE, ratio: 0.57, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) b.recordRequest(0);
    assert.equal(spend(b, 0), 57); // 0.57 * 100 === 56.99999999999999
  });

  test("ratio 0 and no floor means no retries", () => {
    const b = new RetryBudget({ ...BASE, ratio: 0, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) b.recordRequest(0);
    assert.equal(b.tryRetry(0), false);
  });

  test("the defaults are valid; nonsense is refused", () => {
    assert.equal(new RetryBudget(DEFAULT_RETRY_BUDGET).tryRetry(0), true);
    assert.throws(() => new RetryBudget({ ...BASE, ratio: 1.5 }), RangeError);
    assert.throws(() => new RetryBudget({ ...BASE, ratio: -0.1 }), RangeError);
    assert.throws(() => new RetryBudget({ ...BASE, minRetriesPerSecond: -1 }), RangeError);
  });
});
