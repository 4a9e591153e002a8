import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
  DEFAULT_CIRCUIT_BREAKER,
  REFUSED,
  retryAfterSeconds,
  type TransitionReason,
} from "./circuit-breaker.ts";

const BASE: CircuitBreakerOptions = {
  failureRatio: 0.5,
  minRequests: 10,
  windowMs: 10_000,
  buckets: 10,
  consecutiveFailures: 0,
  openMs: 1_000,
  maxOpenMs: 8_000,
  halfOpenProbes: 2,
};

type Seen = [from: BreakerState, to: BreakerState, reason: TransitionReason];

function make(over: Partial<CircuitBreakerOptions> = {}): { b: CircuitBreaker; seen: Seen[] } {
  const seen: Seen[] = [];
  const b = new CircuitBreaker({ ...BASE, ...over }, (from, to, reason) => seen.push([from, to, reason]));
  return { b, seen };
}

/** One request through the breaker at `now`; returns false if it was refused. */
function call(b: CircuitBreaker, now: number, ok: boolean): boolean {
  const p = b.tryAcquire(now);
  if (p === REFUSED) return false;
  if (ok) b.onSuccess(now, p);
  else b.onFailure(now, p);
  return true;
}

/** Drives a closed breaker open by consecutive failures (needs consecutiveFailures > 0) at `now`. */
function tripAt(b: CircuitBreaker, now: number): void {
  for (let i = 0; i < b.options.consecutiveFailures && b.state === "closed"; i++) call(b, now, false);
  assert.equal(b.state, "open");
}

describe("CircuitBreaker: closed → open", () => {
  test("failures alone do not open it below minRequests", () => {
    const { b, seen } = make();
    for (let i = 0; i < 9; i++) call(b, i * 100, false);
    assert.equal(b.state, "closed");
    assert.deepEqual(seen, []);
  });

  test("opens when the failure ratio reaches the threshold with minRequests", () => {
    const { b, seen } = make();
    for (let i = 0; i < 5; i++) call(b, 100, true);
    for (let i = 0; i < 4; i++) call(b, 200, false);
    assert.equal(b.state, "closed", "4/9: too few requests and under the ratio");
    call(b, 300, false);
    assert.equal(b.state, "open", "5/10 = 0.5 reaches the threshold");
    assert.deepEqual(seen, [["closed", "open", "failure-ratio"]]);
  });

  test("stays closed while the ratio is under the threshold", () => {
    const { b } = make();
    for (let i = 0; i < 100; i++) call(b, i * 50, i % 3 !== 0); // a third fail
    assert.equal(b.state, "closed");
    assert.equal(b.snapshot(4_999).failures, 34);
  });

  test("only the rolling window counts: old successes expire", () => {
    const { b } = make();
    for (let i = 0; i < 20; i++) call(b, 0, true);
    for (let i = 0; i < 9; i++) call(b, 5_000, false);
    assert.equal(b.state, "closed", "9/29");
    // At 10 s the successes of t=0 have left; 9 failures remain and a 10th reaches minRequests at 100%.
    call(b, 10_500, false);
    assert.equal(b.state, "open");
    assert.equal(b.snapshot(10_500).requests, 10);
  });

  test("only the rolling window counts: old failures expire", () => {
    const { b } = make();
    for (let i = 0; i < 9; i++) call(b, 0, false);
    call(b, 20_000, false);
    assert.equal(b.state, "closed", "the 9 old failures are gone; 1 request is under minRequests");
  });

  test("opens on consecutiveFailures in a row whatever the ratio", () => {
    const { b, seen } = make({ consecutiveFailures: 3, minRequests: 1_000 });
    call(b, 0, false);
    call(b, 0, false);
    call(b, 0, true); // resets the run
    call(b, 0, false);
    call(b, 0, false);
    assert.equal(b.state, "closed");
    call(b, 0, false);
    assert.equal(b.state, "open");
    assert.deepEqual(seen, [["closed", "open", "consecutive-failures"]]);
  });

  test("consecutiveFailures 0 turns the rule off", () => {
    const { b } = make({ consecutiveFailures: 0, minRequests: 1_000 });
    for (let i = 0; i < 500; i++) call(b, 0, false);
    assert.equal(b.state, "closed");
  });
});

describe("CircuitBreaker: open → half-open → closed / open", () => {
  test("open refuses until openMs elapsed, with a shrinking Retry-After", () => {
    const { b, seen } = make({ consecutiveFailures: 1 });
    tripAt(b, 1_000);
    assert.equal(b.tryAcquire(1_000), REFUSED);
    assert.equal(b.retryAfterMs(1_000), 1_000);
    assert.equal(b.tryAcquire(1_999), REFUSED);
    assert.equal(b.retryAfterMs(1_999.5), 1);
    assert.notEqual(b.tryAcquire(2_000), REFUSED, "first request after openMs probes");
    assert.equal(b.state, "half-open");
    assert.deepEqual(seen.at(-1), ["open", "half-open", "open-elapsed"]);
  });

  test("half-open lets exactly halfOpenProbes requests through", () => {
    const { b } = make({ consecutiveFailures: 1, halfOpenProbes: 2 });
    tripAt(b, 0);
    const p1 = b.tryAcquire(1_000);
    const p2 = b.tryAcquire(1_000);
    assert.notEqual(p1, REFUSED);
    assert.notEqual(p2, REFUSED);
    assert.equal(b.tryAcquire(1_000), REFUSED, "a third request while two probes are out");
    assert.equal(b.retryAfterMs(1_000), 1_000, "the base open time as a hint");
    b.onSuccess(1_100, p1);
    assert.equal(b.state, "half-open", "one success of two");
    assert.equal(b.tryAcquire(1_100), REFUSED, "a finished probe does not free its slot");
    b.onSuccess(1_200, p2);
    assert.equal(b.state, "closed");
  });

  test("closes when every probe succeeds, with a fresh window", () => {
    const { b, seen } = make({ consecutiveFailures: 0, minRequests: 4, halfOpenProbes: 1 });
    for (let i = 0; i < 4; i++) call(b, 0, false);
    assert.equal(b.state, "open");
    assert.ok(call(b, 1_000, true));
    assert.equal(b.state, "closed");
    assert.deepEqual(seen, [
      ["closed", "open", "failure-ratio"],
      ["open", "half-open", "open-elapsed"],
      ["half-open", "closed", "probes-succeeded"],
    ]);
    assert.equal(b.snapshot(1_000).requests, 0, "the failures that opened it are forgotten");
    call(b, 1_001, false);
    assert.equal(b.state, "closed");
  });

  test("re-opens on a probe failure, and the open time doubles up to maxOpenMs", () => {
    const { b, seen } = make({ consecutiveFailures: 1, halfOpenProbes: 1, openMs: 1_000, maxOpenMs: 5_000 });
    let t = 0;
    tripAt(b, t);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      waits.push(b.retryAfterMs(t));
      t += b.retryAfterMs(t);
      assert.equal(b.tryAcquire(t - 1), REFUSED, "still open 1 ms before");
      assert.ok(call(b, t, false), "the probe");
      assert.equal(b.state, "open");
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
    assert.deepEqual(seen.at(-1), ["half-open", "open", "probe-failed"]);
    assert.equal(b.snapshot(t).opens, 6);
  });

  test("a breaker that re-opens within a window of closing keeps its longer open time", () => {
    const { b } = make({ consecutiveFailures: 1, halfOpenProbes: 1 });
    tripAt(b, 0); // open 1 s
    call(b, 1_000, false); // probe fails: open 2 s
    call(b, 3_000, true); // closes at 3 s
    assert.equal(b.state, "closed");
    tripAt(b, 3_500); // flapping: 0.5 s after closing
    assert.equal(b.retryAfterMs(3_500), 4_000);
  });

  test("the open time starts over once the breaker stayed closed for a window", () => {
    const { b } = make({ consecutiveFailures: 1, halfOpenProbes: 1 });
    tripAt(b, 0);
    call(b, 1_000, false);
    call(b, 3_000, true); // closed at 3 s
    tripAt(b, 13_000); // a full window later
    assert.equal(b.retryAfterMs(13_000), 1_000);
    assert.equal(b.snapshot(13_000).opens, 1);
  });

  test("release frees a probe slot for a request that ended without a verdict", () => {
    const { b } = make({ consecutiveFailures: 1, halfOpenProbes: 1 });
    tripAt(b, 0);
    const p = b.tryAcquire(1_000);
    assert.equal(b.tryAcquire(1_000), REFUSED);
    b.release(p);
    const p2 = b.tryAcquire(1_000);
    assert.notEqual(p2, REFUSED);
    b.onSuccess(1_000, p2);
    assert.equal(b.state, "closed");
  });

  test("outcomes of requests started before a transition are ignored", () => {
    const { b, seen } = make({ consecutiveFailures: 2, halfOpenProbes: 1 });
    const slow = b.tryAcquire(0); // in flight while the breaker opens
    const slowFailing = b.tryAcquire(0);
    call(b, 0, false);
    call(b, 0, false);
    assert.equal(b.state, "open");
    b.onFailure(10, slowFailing); // would re-open or count; ignored
    const probe = b.tryAcquire(1_000);
    b.onSuccess(1_000, slow); // a straggler's success must not count as the probe's
    assert.equal(b.state, "half-open");
    b.release(slow); // nor free the probe's slot
    assert.equal(b.tryAcquire(1_000), REFUSED);
    b.onSuccess(1_001, probe);
    assert.equal(b.state, "closed");
    b.onFailure(1_002, slowFailing); // still stale after closing
    assert.equal(b.snapshot(1_002).failures, 0);
    assert.equal(seen.length, 3, "each transition reported once");
  });

  test("the listener sees the new state and every transition once", () => {
    const states: BreakerState[] = [];
    const b = new CircuitBreaker({ ...BASE, consecutiveFailures: 1, halfOpenProbes: 1 });
    b.onTransition = () => states.push(b.state);
    call(b, 0, false);
    call(b, 1_000, false);
    call(b, 3_000, true);
    assert.deepEqual(states, ["open", "half-open", "open", "half-open", "closed"]);
  });
});

describe("CircuitBreaker: options", () => {
  test("the defaults are valid", () => {
    const b = new CircuitBreaker(DEFAULT_CIRCUIT_BREAKER);
    assert.equal(b.state, "closed");
    assert.notEqual(b.tryAcquire(0), REFUSED);
  });

  test("nonsense is refused when built, not on the request path", () => {
    for (const bad of [
      { failureRatio: 0 },
      { failureRatio: 1.5 },
      { minRequests: 0 },
      { consecutiveFailures: -1 },
      { openMs: 0 },
      { maxOpenMs: 500 },
      { halfOpenProbes: 0 },
      { buckets: 0 },
    ]) {
      assert.throws(() => new CircuitBreaker({ ...BASE, ...bad }), RangeError, JSON.stringify(bad));
    }
  });

  test("retryAfterSeconds rounds up to whole seconds, at least 1", () => {
    assert.equal(retryAfterSeconds(0), "1");
    assert.equal(retryAfterSeconds(1), "1");
    assert.equal(retryAfterSeconds(1_000), "1");
    assert.equal(retryAfterSeconds(1_001), "2");
    assert.equal(retryAfterSeconds(59_500), "60");
  });
});
