// What a rate-limit store does. The memory store answers synchronously; the Redis store runs each
// operation as one Lua script (atomic across gateways, on Redis's clock). Every operation takes a
// fully built key (prefix, limit name and partition already joined) and returns what the RateLimit
// headers need.

export interface Decision {
  /** The request is admitted (its cost was taken). */
  readonly allowed: boolean;
  /** Units left in the current window/bucket after this decision (never negative). */
  readonly remaining: number;
  /** Milliseconds until the limit is fully available again (RateLimit `t`). */
  readonly resetMs: number;
  /** When refused: milliseconds until a request of this cost could be admitted (Retry-After). */
  readonly retryAfterMs: number;
}

/** Exact sliding window: at most `limit` units in any window of `windowMs` (a log of admissions). */
export interface SlidingWindowSpec {
  readonly kind: "sliding-window";
  readonly limit: number;
  readonly windowMs: number;
}

/** Token bucket: `capacity` tokens, refilled at `limit` per `windowMs`, so bursts up to `capacity`. */
export interface TokenBucketSpec {
  readonly kind: "token-bucket";
  readonly limit: number;
  readonly windowMs: number;
  readonly capacity: number;
}

export type LimitSpec = SlidingWindowSpec | TokenBucketSpec;

export interface QuotaDecision extends Decision {
  /** Units used in the current period, this request included when admitted. */
  readonly used: number;
}

export interface LimiterStore {
  readonly name: "memory" | "redis";
  /** Takes `cost` units from the limit under `key`, or refuses without taking anything. */
  take(key: string, spec: LimitSpec, cost: number): Decision | Promise<Decision>;
  /**
   * A calendar quota: at most `limit` units between period start and `periodEndMs` (epoch ms). The key
   * already names the period (e.g. ":2026-11-25"), so a new period starts from zero.
   */
  quota(
    key: string,
    limit: number,
    periodEndMs: number,
    cost: number,
  ): QuotaDecision | Promise<QuotaDecision>;
  /**
   * Batching mode: reserves up to `want` units at once (sliding window or bucket), returning how many
   * were granted (0..want) and the decision for the reservation. The caller hands them out locally.
   */
  lease(
    key: string,
    spec: LimitSpec,
    want: number,
  ): { granted: number; decision: Decision } | Promise<{ granted: number; decision: Decision }>;
  close(): Promise<void> | void;
}
