import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OutlierOptions } from "./options.ts";
import { OutlierDetector, type OutlierState, type ResultKind } from "./outlier.ts";

type Seen = [string, OutlierState, OutlierState, string];

function detector(options: OutlierOptions, ids = ["a", "b", "c", "d"]) {
  const seen: Seen[] = [];
  const d = new OutlierDetector(options, ids, (id, from, to, reason) => seen.push([id, from, to, reason]));
  return { d, seen };
}

function feed(d: OutlierDetector, id: string, kind: ResultKind, times: number, now: number): void {
  for (let i = 0; i < times; i++) d.onResult(id, kind, now);
}

const base = { baseEjectionMs: 1_000, maxEjectionMs: 10_000 };

describe("OutlierDetector", () => {
  test("consecutive5xx failures eject; an ok answer resets the count", () => {
    const { d, seen } = detector({ ...base, consecutive5xx: 3, consecutiveGatewayFailures: 0 });
    feed(d, "a", "5xx", 2, 0);
    d.onResult("a", "ok", 0);
    feed(d, "a", "5xx", 2, 0);
    assert.equal(d.isEjected("a", 0), false, "2 + 2 with an ok between is not 3 in a row");
    d.onResult("a", "5xx", 0);
    assert.equal(d.isEjected("a", 0), true);
    assert.deepEqual(seen, [
      ["a", "serving", "ejected", "3 consecutive failures (last: 5xx); ejected for 1000 ms"],
    ]);
    assert.equal(d.isEjected("b", 0), false);
  });

  test("connect failures and timeouts count towards consecutive5xx too", () => {
    const { d } = detector({ ...base, consecutive5xx: 3, consecutiveGatewayFailures: 0 });
    d.onResult("a", "5xx", 0);
    d.onResult("a", "timeout", 0);
    d.onResult("a", "connect-failure", 0);
    assert.equal(d.isEjected("a", 0), true);
  });

  test("gateway failures (connect failure, timeout) eject sooner; a 5xx answer breaks their run", () => {
    const { d, seen } = detector({ ...base, consecutive5xx: 10, consecutiveGatewayFailures: 2 });
    d.onResult("a", "timeout", 0);
    d.onResult("a", "5xx", 0);
    d.onResult("a", "connect-failure", 0);
    assert.equal(d.isEjected("a", 0), false);
    d.onResult("a", "timeout", 0);
    assert.equal(d.isEjected("a", 0), true);
    assert.match(seen[0][3], /^2 consecutive gateway failures \(last: timeout\)/);
  });

  test("a threshold of 0 turns that rule off", () => {
    const { d } = detector({ ...base, consecutive5xx: 0, consecutiveGatewayFailures: 0 });
    feed(d, "a", "connect-failure", 100, 0);
    assert.equal(d.isEjected("a", 0), false);
  });

  test("ejection ends lazily on read, reported once; length grows with each ejection and is capped", () => {
    const { d, seen } = detector({ consecutive5xx: 1, baseEjectionMs: 1_000, maxEjectionMs: 2_500 });
    const lengths: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      d.onResult("a", "5xx", now);
      const until = d.stats("a", now)!.ejectedUntil;
      lengths.push(until - now);
      assert.equal(d.isEjected("a", until - 1), true);
      assert.equal(d.isEjected("a", until), false);
      assert.equal(d.isEjected("a", until + 1), false);
      now = until + 10;
    }
    assert.deepEqual(lengths, [1_000, 2_000, 2_500, 2_500]);
    assert.deepEqual(
      seen.map(([, from, to]) => `${from}>${to}`),
      Array(4).fill(["serving>ejected", "ejected>serving"]).flat(),
    );
    assert.equal(seen[1][3], "ejection time over");
    assert.equal(d.stats("a", now)!.ejections, 4);
  });

  test("an ejection that ended unread is reported as over before the next one starts", () => {
    const { d, seen } = detector({ ...base, consecutive5xx: 1 });
    d.onResult("a", "5xx", 0);
    d.onResult("a", "5xx", 5_000);
    assert.deepEqual(
      seen.map(([, from, to]) => `${from}>${to}`),
      ["serving>ejected", "ejected>serving", "serving>ejected"],
    );
  });

  test("good behaviour is forgiven: one past ejection per maxEjectionMs without one", () => {
    const { d } = detector({ consecutive5xx: 1, baseEjectionMs: 1_000, maxEjectionMs: 5_000 });
    d.onResult("a", "5xx", 0); // 1 s, ends at 1000
    d.onResult("a", "5xx", 1_000); // 2 s, ends at 3000
    d.onResult("a", "5xx", 3_000); // 3 s, ends at 6000
    // Ten seconds after the last ejection ended, two of the three are forgotten: the next lasts 2 s.
    d.onResult("a", "5xx", 16_000);
    assert.equal(d.stats("a", 16_000)!.ejectedUntil, 18_000);
  });

  test("answers that arrive while a target is ejected are ignored", () => {
    const { d } = detector({ ...base, consecutive5xx: 2 });
    feed(d, "a", "5xx", 2, 0);
    feed(d, "a", "5xx", 5, 500);
    assert.equal(d.stats("a", 500)!.ejections, 1);
    assert.equal(d.stats("a", 500)!.ejectedUntil, 1_000, "not extended");
    d.onResult("a", "5xx", 1_000);
    assert.equal(d.isEjected("a", 1_000), false, "the streak started over after the ejection");
  });

  test("max ejected percent caps simultaneous ejections; skipped ones retry on the next failure", () => {
    const { d } = detector({ ...base, consecutive5xx: 1, maxEjectedPercent: 50 });
    assert.equal(d.maxEjected(), 2);
    d.onResult("a", "5xx", 0);
    d.onResult("b", "5xx", 0);
    d.onResult("c", "5xx", 0);
    assert.deepEqual(
      ["a", "b", "c"].map((id) => d.isEjected(id, 0)),
      [true, true, false],
    );
    assert.equal(d.stats("c", 0)!.skippedEjections, 1);
    // a and b come back after 1 s; c's next failure ejects it.
    d.onResult("c", "5xx", 1_000);
    assert.equal(d.isEjected("c", 1_000), true);
  });

  test("at least one of two or more may be ejected, never all, never a lone target", () => {
    const cap = (ids: string[], maxEjectedPercent: number) =>
      detector({ ...base, consecutive5xx: 1, maxEjectedPercent }, ids).d.maxEjected();
    assert.equal(cap(["a", "b", "c"], 10), 1);
    assert.equal(cap(["a", "b"], 100), 1);
    assert.equal(cap(["a", "b", "c"], 100), 2);
    assert.equal(cap(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], 25), 2);
    assert.equal(cap(["a"], 100), 0);
    const lone = detector({ ...base, consecutive5xx: 1, maxEjectedPercent: 100 }, ["a"]).d;
    feed(lone, "a", "connect-failure", 10, 0);
    assert.equal(lone.isEjected("a", 0), false);
  });

  test("setTargets keeps the state of remaining targets and forgets removed ones", () => {
    const { d } = detector({ ...base, consecutive5xx: 2 }, ["a", "b", "c"]);
    d.onResult("a", "5xx", 0);
    d.onResult("a", "5xx", 0);
    d.onResult("b", "5xx", 0);
    d.setTargets(["a", "b", "e"]);
    assert.equal(d.isEjected("a", 10), true, "ejection survives");
    d.onResult("b", "5xx", 10);
    assert.equal(d.stats("b", 10)!.ejections, 0, "b's streak survived setTargets, but a holds the only slot");
    assert.equal(d.stats("b", 10)!.skippedEjections, 1);
    assert.equal(d.stats("c", 10), undefined);
    assert.deepEqual(d.stats("e", 10), {
      ejected: false,
      ejectedUntil: 0,
      ejections: 0,
      skippedEjections: 0,
      consecutive5xx: 0,
      consecutiveGatewayFailures: 0,
    });
    d.onResult("zzz", "5xx", 10);
    assert.equal(d.isEjected("zzz", 10), false, "unknown targets are ignored");
  });

  test("configure changes thresholds but keeps ejections in progress", () => {
    const { d } = detector({ ...base, consecutive5xx: 1 });
    d.onResult("a", "5xx", 0);
    d.configure({ ...base, consecutive5xx: 3 });
    assert.equal(d.isEjected("a", 500), true);
    feed(d, "b", "5xx", 2, 500);
    assert.equal(d.isEjected("b", 500), false);
    d.onResult("b", "5xx", 500);
    assert.equal(d.isEjected("b", 500), true);
  });

  test("invalid options are rejected", () => {
    assert.throws(() => detector({ baseEjectionMs: 10, maxEjectionMs: 5 }), /maxEjectionMs < baseEjectionMs/);
    assert.throws(() => detector({ maxEjectedPercent: 0 }), /maxEjectedPercent/);
    assert.throws(() => detector({ consecutive5xx: -1 }), /consecutive5xx/);
  });
});
