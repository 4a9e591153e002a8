// A retry budget per upstream: over a rolling window, retries may be at most `ratio` of the requests, or
// `minRetriesPerSecond` × window seconds when that is more, so a quiet upstream can still retry. Under an
// outage every request fails and wants a retry; the budget caps the extra load at `ratio` instead of
// multiplying it by the attempt count. The floor is a floor (Envoy's min_retry_concurrency), not an
// addition as in Finagle's RetryBudget, so under load the ratio holds exactly.
import { RollingWindow } from "./rolling-window.ts";

export interface RetryBudgetOptions {
  /** Retries allowed per request over the window, in [0, 1]. */
  readonly ratio: number;
  /** Retries allowed per second of window however few the requests. */
  readonly minRetriesPerSecond: number;
  readonly windowMs: number;
  readonly buckets: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = Object.freeze({
  ratio: 0.2,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
  buckets: 10,
});

export interface RetryBudgetSnapshot {
  readonly requests: number;
  readonly retries: number;
  /** Retries the window allows in all (spent ones included). */
  readonly allowed: number;
}

/** Products like 0.57 * 100 land a hair under the integer they mean. */
const EPSILON = 1e-9;

export class RetryBudget {
  readonly options: RetryBudgetOptions;
  readonly #window: RollingWindow;
  readonly #reserve: number;

  constructor(options: RetryBudgetOptions) {
    const o = options;
    if (!(o.ratio >= 0 && o.ratio <= 1))
      throw new RangeError(`retry budget ratio must be in [0, 1], got ${o.ratio}`);
    if (!(o.minRetriesPerSecond >= 0)) {
      throw new RangeError(`retry budget minRetriesPerSecond must be >= 0, got ${o.minRetriesPerSecond}`);
    }
    this.options = Object.freeze({ ...o });
    this.#window = new RollingWindow(o.windowMs, o.buckets);
    this.#reserve = (o.minRetriesPerSecond * o.windowMs) / 1000;
  }

  /** Once per client request (not per attempt: retries do not earn retries). */
  recordRequest(now: number): void {
    this.#window.add0(now);
  }

  /** Spends one retry if the budget has one; false → answer with the failure as it is. */
  tryRetry(now: number): boolean {
    const w = this.#window;
    if (w.sum1(now) + 1 > this.#allowed(w.sum0(now)) + EPSILON) return false;
    w.add1(now);
    return true;
  }

  snapshot(now: number): RetryBudgetSnapshot {
    const w = this.#window;
    const requests = w.sum0(now);
    return { requests, retries: w.sum1(now), allowed: Math.floor(this.#allowed(requests) + EPSILON) };
  }

  #allowed(requests: number): number {
    const byRatio = this.options.ratio * requests;
    return Math.max(byRatio, this.#reserve);
  }
}
