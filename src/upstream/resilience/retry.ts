// When a failed upstream attempt may be tried again, and how long to wait first. The safety rule: a
// request is replayed only if nothing of it reached the upstream, or its method is idempotent and its body
// (if any) can be sent again. A POST whose body has gone out is never replayed.
import type { ErrorCode } from "../../errors/codes.ts";

/** RFC 9110 §9.2.2. Methods are case-sensitive: "get" is not GET. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "PUT",
  "DELETE",
  "TRACE",
]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method);
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a delay drawn uniformly from
 * [0, min(maxMs, baseMs × 2^(attempt − 1))). `attempt` is the retry's number, 1 for the first retry.
 * Whole milliseconds; `random` returns [0, 1) like Math.random (tests pass their own).
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  // The exponent stops at 30 (2^30 × 1 ms is 12 days): no Infinity, and no NaN when baseMs is 0.
  const exp = baseMs * 2 ** (attempt <= 1 ? 0 : attempt > 31 ? 30 : attempt - 1);
  const cap = Math.min(exp, maxMs);
  return Math.floor(random() * cap);
}

/** What a failed attempt may be retried on. Statuses are the upstream's own answers. */
export type RetryConditionName = "connect-failure" | "reset" | "timeout";
export type RetryCondition = RetryConditionName | number;

export const RETRY_CONDITION_NAMES: readonly RetryConditionName[] = ["connect-failure", "reset", "timeout"];

export const DEFAULT_RETRY_ON: readonly RetryCondition[] = ["connect-failure", "reset", 502, 503, 504];

/** Conditions compiled once per route. */
export interface RetryOn {
  readonly connectFailure: boolean;
  readonly reset: boolean;
  readonly timeout: boolean;
  readonly statuses: ReadonlySet<number>;
}

export function compileRetryOn(conditions: readonly RetryCondition[]): RetryOn {
  const statuses = new Set<number>();
  let connectFailure = false;
  let reset = false;
  let timeout = false;
  for (const c of conditions) {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 100 || c > 599)
        throw new RangeError(`retry status must be 100-599, got ${c}`);
      statuses.add(c);
    } else if (c === "connect-failure") connectFailure = true;
    else if (c === "reset") reset = true;
    else if (c === "timeout") timeout = true;
    else throw new RangeError(`unknown retry condition ${JSON.stringify(c)}`);
  }
  return Object.freeze({ connectFailure, reset, timeout, statuses });
}

/** Failures that happen before a connection exists: nothing of the request was written. */
export function isPreSendFailure(error: ErrorCode | null): boolean {
  return error === "UPSTREAM_CONNECT_FAILED" || error === "UPSTREAM_CONNECT_TIMEOUT";
}

/** Whether the attempt's outcome is one the route retries on. */
export function matchesRetryOn(on: RetryOn, error: ErrorCode | null, status: number): boolean {
  switch (error) {
    case null:
      return on.statuses.has(status);
    case "UPSTREAM_CONNECT_FAILED":
    case "UPSTREAM_CONNECT_TIMEOUT":
      return on.connectFailure;
    case "UPSTREAM_RESET":
      return on.reset;
    case "UPSTREAM_TIMEOUT":
      return on.timeout;
    default:
      // A malformed response, a gateway fault or a client abort: trying again would not help.
      return false;
  }
}

/** How the request's body stands for a replay; the proxy decides (it knows whether it buffered it). */
export type RequestBody =
  /** No body: nothing to replay. */
  | "none"
  /** Held in full (buffered under a limit) and can be sent again. */
  | "replayable"
  /** A one-way stream: once read it is gone. */
  | "streamed";

export interface AttemptFacts {
  readonly method: string;
  /** The failure as the registry names it (classifyUpstreamError), or null when the upstream answered. */
  readonly error: ErrorCode | null;
  /** The upstream's status when it answered, else 0. */
  readonly status: number;
  /** Any byte of the request (head or body) was written upstream. Connect failures count as not sent
   * whatever this says. A reused keep-alive connection reset under the request counts as sent. */
  readonly requestSent: boolean;
  readonly body: RequestBody;
  /** The response head already went to the client: nothing can be taken back. */
  readonly responseStarted: boolean;
}

export type RetryVerdict =
  | "retry"
  /** The outcome is not among the route's conditions. */
  | "not-retryable"
  /** The request went out and its method is not idempotent. */
  | "not-idempotent"
  /** The request went out and its body cannot be sent again. */
  | "body-not-replayable"
  | "response-started";

/**
 * Whether this attempt may be retried as far as the outcome and safety go. The caller then checks its
 * attempt count, the remaining deadline and, last (it spends), the upstream's RetryBudget.
 */
export function shouldRetry(on: RetryOn, f: AttemptFacts): RetryVerdict {
  if (f.responseStarted) return "response-started";
  if (!matchesRetryOn(on, f.error, f.status)) return "not-retryable";
  // Nothing was sent: any method, and a streamed body was never read (undici 8 leaves the stream intact
  // on a connect failure: it detaches its listeners without destroying it).
  if (!f.requestSent || isPreSendFailure(f.error)) return "retry";
  if (!IDEMPOTENT_METHODS.has(f.method)) return "not-idempotent";
  if (f.body === "streamed") return "body-not-replayable";
  return "retry";
}
