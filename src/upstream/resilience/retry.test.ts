import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ErrorCode } from "../../errors/codes.ts";
import {
  type AttemptFacts,
  backoffDelay,
  compileRetryOn,
  DEFAULT_RETRY_ON,
  isIdempotent,
  matchesRetryOn,
  type RequestBody,
  type RetryVerdict,
  shouldRetry,
} from "./retry.ts";

describe("backoffDelay (full jitter)", () => {
  const lowest = () => 0;
  const highest = () => 1 - Number.EPSILON;

  test("the ceiling doubles per retry from baseMs and stops at maxMs", () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 25, 500, highest) + 1);
    assert.deepEqual(ceilings, [25, 50, 100, 200, 400, 500]);
  });

  test("the floor is 0 for every retry", () => {
    for (const a of [1, 2, 5, 40]) assert.equal(backoffDelay(a, 25, 500, lowest), 0);
  });

  test("whole milliseconds, proportional to the random draw", () => {
    assert.equal(
      backoffDelay(3, 25, 500, () => 0.5),
      50,
    );
    assert.equal(
      backoffDelay(3, 25, 500, () => 0.999),
      99,
    );
    assert.ok(Number.isInteger(backoffDelay(2, 10, 100, Math.random)));
  });

  test("with Math.random the delays spread over [0, ceiling)", () => {
    const seen = Array.from({ length: 2_000 }, () => backoffDelay(4, 25, 1_000, Math.random));
    const min = Math.min(...seen);
    const max = Math.max(...seen);
    assert.ok(min >= 0 && max < 200, `range ${min}..${max}`);
    // Uniform draws: 2000 samples leave the lowest and highest fifth empty with odds ~1e-194.
    assert.ok(min < 40 && max >= 160, `spread ${min}..${max}`);
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    assert.ok(mean > 85 && mean < 114, `mean ${mean} near 99.5`);
  });

  test("huge attempt numbers and zero bases stay finite", () => {
    assert.equal(backoffDelay(10_000, 25, 500, highest), 499);
    assert.equal(backoffDelay(10_000, 0, 500, highest), 0);
    assert.equal(backoffDelay(0, 25, 500, highest), 24, "attempt 0 is treated as the first retry");
  });
});

describe("retry conditions", () => {
  test("idempotent methods are RFC 9110's, case-sensitive", () => {
    for (const m of ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])
      assert.equal(isIdempotent(m), true, m);
    for (const m of ["POST", "PATCH", "CONNECT", "get", "Put"]) assert.equal(isIdempotent(m), false, m);
  });

  test("each condition matches its failures only", () => {
    const on = compileRetryOn(DEFAULT_RETRY_ON);
    const rows: [ErrorCode | null, number, boolean][] = [
      ["UPSTREAM_CONNECT_FAILED", 0, true],
      ["UPSTREAM_CONNECT_TIMEOUT", 0, true],
      ["UPSTREAM_RESET", 0, true],
      ["UPSTREAM_TIMEOUT", 0, false], // "timeout" is not in the default list
      ["UPSTREAM_PROTOCOL_ERROR", 0, false],
      ["CLIENT_ABORTED", 0, false],
      ["INTERNAL", 0, false],
      [null, 502, true],
      [null, 503, true],
      [null, 504, true],
      [null, 500, false],
      [null, 429, false],
      [null, 200, false],
    ];
    for (const [error, status, want] of rows) {
      assert.equal(matchesRetryOn(on, error, status), want, `${error} ${status}`);
    }
    const narrow = compileRetryOn(["timeout", 429]);
    assert.equal(matchesRetryOn(narrow, "UPSTREAM_TIMEOUT", 0), true);
    assert.equal(matchesRetryOn(narrow, null, 429), true);
    assert.equal(matchesRetryOn(narrow, "UPSTREAM_CONNECT_FAILED", 0), false);
    assert.equal(matchesRetryOn(narrow, null, 503), false);
  });

  test("unknown conditions and impossible statuses are refused when compiled", () => {
    assert.throws(() => compileRetryOn(["5xx" as never]), /unknown retry condition/);
    assert.throws(() => compileRetryOn([99]), RangeError);
    assert.throws(() => compileRetryOn([600]), RangeError);
    assert.throws(() => compileRetryOn([502.5]), RangeError);
  });
});

describe("shouldRetry: the safety table", () => {
  const on = compileRetryOn(["connect-failure", "reset", "timeout", 502, 503, 504]);
  const CONNECT: ErrorCode = "UPSTREAM_CONNECT_FAILED";
  const RESET: ErrorCode = "UPSTREAM_RESET";

  type Row = [
    method: string,
    error: ErrorCode | null,
    status: number,
    sent: boolean,
    body: RequestBody,
    started: boolean,
    want: RetryVerdict,
  ];
  const rows: Row[] = [
    // Nothing reached the upstream: any method, any body.
    ["POST", CONNECT, 0, false, "streamed", false, "retry"],
    ["PATCH", "UPSTREAM_CONNECT_TIMEOUT", 0, false, "streamed", false, "retry"],
    ["GET", CONNECT, 0, false, "none", false, "retry"],
    // A connect failure cannot have sent anything, whatever the caller believes.
    ["POST", CONNECT, 0, true, "streamed", false, "retry"],
    // A reset before the first byte (the caller knows nothing was written).
    ["POST", RESET, 0, false, "streamed", false, "retry"],
    // Sent: idempotent and replayable only.
    ["GET", RESET, 0, true, "none", false, "retry"],
    ["PUT", RESET, 0, true, "replayable", false, "retry"],
    ["DELETE", null, 503, true, "none", false, "retry"],
    ["GET", "UPSTREAM_TIMEOUT", 0, true, "none", false, "retry"],
    ["PUT", RESET, 0, true, "streamed", false, "body-not-replayable"],
    ["PUT", null, 502, true, "streamed", false, "body-not-replayable"],
    ["POST", RESET, 0, true, "replayable", false, "not-idempotent"],
    ["POST", null, 503, true, "none", false, "not-idempotent"],
    ["POST", RESET, 0, true, "streamed", false, "not-idempotent"],
    ["PATCH", "UPSTREAM_TIMEOUT", 0, true, "replayable", false, "not-idempotent"],
    ["get", RESET, 0, true, "none", false, "not-idempotent"],
    // Outcomes the route does not retry on.
    ["GET", null, 500, true, "none", false, "not-retryable"],
    ["GET", null, 404, true, "none", false, "not-retryable"],
    ["GET", "UPSTREAM_PROTOCOL_ERROR", 0, true, "none", false, "not-retryable"],
    ["POST", null, 200, true, "none", false, "not-retryable"],
    // The client already has the head: nothing can be taken back.
    ["GET", RESET, 0, true, "none", true, "response-started"],
  ];

  for (const [method, error, status, requestSent, body, responseStarted, want] of rows) {
    test(`${method} ${error ?? status} sent=${requestSent} body=${body} started=${responseStarted} → ${want}`, () => {
      const facts: AttemptFacts = { method, error, status, requestSent, body, responseStarted };
      assert.equal(shouldRetry(on, facts), want);
    });
  }

  test("a condition left out of the route wins over safety", () => {
    const connectOnly = compileRetryOn(["connect-failure"]);
    const facts: AttemptFacts = {
      method: "GET",
      error: RESET,
      status: 0,
      requestSent: true,
      body: "none",
      responseStarted: false,
    };
    assert.equal(shouldRetry(connectOnly, facts), "not-retryable");
  });
});
