// One table of scripted scenarios that both stores must answer identically. The memory store runs it on an
// injected clock (exact values); the Redis store runs it in real time on Redis's clock, where a step lands
// a little later than scripted: times are then checked within that measured lateness ("drift"), counts
// exactly. Scenario times keep at least 200 ms between any event and a window or refill boundary.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Decision, LimiterStore, LimitSpec } from "./types.ts";

export interface Harness {
  readonly store: LimiterStore;
  /** The store clock now (epoch ms), for quota period ends. */
  now(): number;
  /** Lets `ms` pass on the store's clock. */
  wait(ms: number): Promise<void>;
  /** How far the store's clock has run past the scripted timeline since the case started. */
  drift(): number;
  /** Rounding slack on time values (Redis works in microseconds). */
  readonly slackMs: number;
}

type Times = Pick<Decision, "resetMs" | "retryAfterMs">;
type Expect = Decision;
type Step =
  | { readonly wait: number }
  | { readonly take: number; readonly expect: Expect }
  | { readonly lease: number; readonly granted: number; readonly expect: Expect }
  | { readonly quota: number; readonly used: number; readonly expect: Expect; readonly period?: "next" };

interface Case {
  readonly name: string;
  readonly spec?: LimitSpec;
  /** Quota limit and period length (from the case start). */
  readonly quota?: { readonly limit: number; readonly periodMs: number };
  readonly steps: readonly Step[];
}

const ok = (remaining: number, resetMs: number): Expect => ({
  allowed: true,
  remaining,
  resetMs,
  retryAfterMs: 0,
});
const no = (remaining: number, resetMs: number, retryAfterMs: number): Expect => ({
  allowed: false,
  remaining,
  resetMs,
  retryAfterMs,
});

const sw = (limit: number, windowMs: number): LimitSpec => ({ kind: "sliding-window", limit, windowMs });
const tb = (limit: number, windowMs: number, capacity: number): LimitSpec => ({
  kind: "token-bucket",
  limit,
  windowMs,
  capacity,
});

export const CASES: readonly Case[] = [
  {
    name: "sliding window: exact limit, retry when the oldest leaves, then room again",
    spec: sw(3, 1000),
    steps: [
      { take: 1, expect: ok(2, 1000) },
      { wait: 400 },
      { take: 1, expect: ok(1, 1000) },
      { take: 1, expect: ok(0, 1000) },
      { take: 1, expect: no(0, 1000, 600) },
      { wait: 700 },
      { take: 1, expect: ok(0, 1000) },
      { take: 1, expect: no(0, 1000, 300) },
    ],
  },
  {
    name: "sliding window: costs, a refused cost leaves the window untouched, cost 0 only looks",
    spec: sw(5, 1000),
    steps: [
      { take: 3, expect: ok(2, 1000) },
      { take: 3, expect: no(2, 1000, 1000) },
      { take: 2, expect: ok(0, 1000) },
      { wait: 300 },
      { take: 0, expect: ok(0, 700) },
      { take: 1, expect: no(0, 700, 700) },
      { take: 6, expect: no(0, 700, 1000) },
    ],
  },
  {
    name: "sliding window: retry-after waits for as many units as the cost needs",
    spec: sw(3, 1000),
    steps: [
      { take: 1, expect: ok(2, 1000) },
      { wait: 200 },
      { take: 1, expect: ok(1, 1000) },
      { wait: 200 },
      { take: 1, expect: ok(0, 1000) },
      { take: 2, expect: no(0, 1000, 800) },
      { take: 3, expect: no(0, 1000, 1000) },
    ],
  },
  {
    name: "sliding window: an empty window is fully available",
    spec: sw(2, 1000),
    steps: [
      { take: 0, expect: ok(2, 0) },
      { take: 2, expect: ok(0, 1000) },
      { wait: 1200 },
      { take: 0, expect: ok(2, 0) },
    ],
  },
  {
    name: "sliding window lease: grants what is left, then refuses until one unit leaves",
    spec: sw(5, 1000),
    steps: [
      { lease: 3, granted: 3, expect: ok(2, 1000) },
      { lease: 3, granted: 2, expect: ok(0, 1000) },
      { lease: 3, granted: 0, expect: no(0, 1000, 1000) },
      { wait: 300 },
      { lease: 1, granted: 0, expect: no(0, 700, 700) },
    ],
  },
  {
    name: "token bucket: burst to capacity, refill at limit per window",
    // 10 per 4000 ms: one token every 400 ms.
    spec: tb(10, 4000, 5),
    steps: [
      { take: 5, expect: ok(0, 2000) },
      { take: 1, expect: no(0, 2000, 400) },
      { wait: 600 },
      { take: 1, expect: ok(0, 1800) },
      { take: 1, expect: no(0, 1800, 200) },
      { take: 6, expect: no(0, 1800, 4000) },
      { lease: 3, granted: 0, expect: no(0, 1800, 200) },
    ],
  },
  {
    name: "token bucket: a full bucket, costs, and lease grants",
    spec: tb(5, 3_600_000, 5),
    steps: [
      { take: 0, expect: ok(5, 0) },
      { take: 2, expect: ok(3, 1_440_000) },
      { take: 4, expect: no(3, 1_440_000, 720_000) },
      { lease: 2, granted: 2, expect: ok(1, 2_880_000) },
      { lease: 3, granted: 1, expect: ok(0, 3_600_000) },
      { lease: 3, granted: 0, expect: no(0, 3_600_000, 720_000) },
    ],
  },
  {
    name: "quota: counts to the limit, refuses without counting, a new period starts from zero",
    quota: { limit: 5, periodMs: 10_000 },
    steps: [
      { quota: 2, used: 2, expect: ok(3, 10_000) },
      { quota: 3, used: 5, expect: ok(0, 10_000) },
      { quota: 1, used: 5, expect: no(0, 10_000, 10_000) },
      { wait: 300 },
      { quota: 0, used: 5, expect: ok(0, 9700) },
      { quota: 1, used: 1, period: "next", expect: ok(4, 9700) },
    ],
  },
  {
    name: "quota: a cost above what is left is refused whole",
    quota: { limit: 4, periodMs: 5000 },
    steps: [
      { quota: 3, used: 3, expect: ok(1, 5000) },
      { quota: 2, used: 3, expect: no(1, 5000, 5000) },
      { quota: 1, used: 4, expect: ok(0, 5000) },
    ],
  },
];

/** Registers one test per case; `harness` gives a fresh store (or the same one) per case. */
export function conformance(harness: () => Harness, keyPrefix: () => string): void {
  for (const c of CASES) {
    test(c.name, async () => {
      const h = harness();
      const key = `${keyPrefix()}:${c.name.slice(0, 20)}`;
      const periodEnd = h.now() + (c.quota?.periodMs ?? 0);
      for (const [i, step] of c.steps.entries()) {
        const at = `${c.name} step ${i} ${JSON.stringify(step)}`;
        if ("wait" in step) {
          await h.wait(step.wait);
        } else if ("take" in step) {
          check(h, await h.store.take(key, c.spec!, step.take), step.expect, at);
        } else if ("lease" in step) {
          const { granted, decision } = await h.store.lease(key, c.spec!, step.lease);
          assert.equal(granted, step.granted, `${at}: granted`);
          check(h, decision, step.expect, at);
        } else {
          const q = c.quota!;
          const period = step.period === "next" ? `${key}:next` : key;
          const d = await h.store.quota(period, q.limit, periodEnd, step.quota);
          assert.equal(d.used, step.used, `${at}: used`);
          check(h, d, step.expect, at);
        }
      }
    });
  }
}

function check(h: Harness, actual: Decision, expected: Expect, at: string): void {
  assert.equal(actual.allowed, expected.allowed, `${at}: allowed (${JSON.stringify(actual)})`);
  assert.equal(actual.remaining, expected.remaining, `${at}: remaining (${JSON.stringify(actual)})`);
  for (const field of ["resetMs", "retryAfterMs"] as const satisfies (keyof Times)[]) {
    const low = expected[field] === 0 ? 0 : expected[field] - h.drift() - h.slackMs;
    const high = expected[field] + h.slackMs;
    assert.ok(
      Number.isInteger(actual[field]) && actual[field] >= low && actual[field] <= high,
      `${at}: ${field} ${actual[field]} not within [${low}, ${high}]`,
    );
  }
  if (!actual.allowed) assert.ok(actual.retryAfterMs >= 1, `${at}: a refusal says when to retry`);
}
