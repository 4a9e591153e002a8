// A circuit breaker per upstream target, driven by explicit calls from the proxy's dispatch handler:
// tryAcquire before dispatching, then onSuccess / onFailure / release with the permit it returned.
//
// Hand-written rather than cockatiel 4.0.0 (checked from `npm pack cockatiel@4.0.0`, dist/):
// - CircuitBreakerPolicy exposes its state machine only through `async execute(fn)`: a promise per request
//   even when closed, and open/half-open/close are private. Half-open callers beyond the sample size are
//   parked on a promise (`await state.decision.promise`) instead of being refused, which is the opposite
//   of a fast 503.
// - Its breakers could be driven alone (`failure(state): boolean`), but SamplingBreaker reads Date.now()
//   inside `push`, takes a rate (minimumRps) rather than a minimum request count, and rotates only one
//   bucket per call: after a minute of idle, 9 failures from the old window were still counted and a single
//   new failure opened the circuit (reproduced against 4.0.0). ConsecutiveBreaker is a bare counter.
// What is left to borrow is smaller than the state machine itself, so it lives here.
import { RollingWindow } from "./rolling-window.ts";

export type BreakerState = "closed" | "open" | "half-open";

export type TransitionReason =
  /** closed → open: the failure ratio over the window reached the threshold with enough requests. */
  | "failure-ratio"
  /** closed → open: `consecutiveFailures` failures in a row. */
  | "consecutive-failures"
  /** open → half-open: the open time elapsed and a request arrived. */
  | "open-elapsed"
  /** half-open → open: a probe failed. */
  | "probe-failed"
  /** half-open → closed: every probe succeeded. */
  | "probes-succeeded";

export type TransitionListener = (from: BreakerState, to: BreakerState, reason: TransitionReason) => void;

export interface CircuitBreakerOptions {
  /** Open when failures / (successes + failures) over the window reaches this, in (0, 1]. */
  readonly failureRatio: number;
  /** ...and the window holds at least this many finished requests. */
  readonly minRequests: number;
  readonly windowMs: number;
  readonly buckets: number;
  /** Open after this many failures in a row, whatever the ratio; 0 turns the rule off. */
  readonly consecutiveFailures: number;
  /** How long the first open lasts. */
  readonly openMs: number;
  /** Each re-open within a window of the last close doubles the open time, up to this. */
  readonly maxOpenMs: number;
  /** Requests let through while half-open; all must succeed to close. */
  readonly halfOpenProbes: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = Object.freeze({
  failureRatio: 0.5,
  minRequests: 20,
  windowMs: 10_000,
  buckets: 10,
  consecutiveFailures: 5,
  openMs: 5_000,
  maxOpenMs: 60_000,
  halfOpenProbes: 3,
});

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly requests: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Opens in the current streak (reset once the breaker stays closed for a window). */
  readonly opens: number;
  readonly retryAfterMs: number;
}

/** Refused: answer 503 with Retry-After. Any other permit is truthy. */
export const REFUSED = 0;

export class CircuitBreaker {
  readonly options: CircuitBreakerOptions;
  /** Called once per transition, after the state changed; must not throw. */
  onTransition: TransitionListener | null;
  readonly #window: RollingWindow;
  #state: BreakerState = "closed";
  /** Bumped on every transition; a permit is the generation it was issued in, so outcomes of requests
   * that started before a transition (stragglers) are ignored instead of counting as probes. */
  #generation = 1;
  #consecutive = 0;
  #openUntil = 0;
  #streak = 0;
  #closedAt = Number.NEGATIVE_INFINITY;
  #probesIssued = 0;
  #probesSucceeded = 0;

  constructor(options: CircuitBreakerOptions, onTransition: TransitionListener | null = null) {
    const o = options;
    if (!(o.failureRatio > 0 && o.failureRatio <= 1)) range("failureRatio", "in (0, 1]", o.failureRatio);
    if (!(Number.isInteger(o.minRequests) && o.minRequests >= 1)) range("minRequests", ">= 1", o.minRequests);
    if (!(Number.isInteger(o.consecutiveFailures) && o.consecutiveFailures >= 0)) {
      range("consecutiveFailures", ">= 0", o.consecutiveFailures);
    }
    if (!(o.openMs > 0)) range("openMs", "> 0", o.openMs);
    if (!(o.maxOpenMs >= o.openMs)) range("maxOpenMs", ">= openMs", o.maxOpenMs);
    if (!(Number.isInteger(o.halfOpenProbes) && o.halfOpenProbes >= 1)) {
      range("halfOpenProbes", ">= 1", o.halfOpenProbes);
    }
    this.options = Object.freeze({ ...o });
    this.onTransition = onTransition;
    this.#window = new RollingWindow(o.windowMs, o.buckets);
  }

  /** The state as of the last call; open turns half-open lazily, on the first tryAcquire after openMs. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Returns a permit to hand back with the outcome, or REFUSED (0). */
  tryAcquire(now: number): number {
    const state = this.#state;
    if (state === "closed") return this.#generation;
    if (state === "open") {
      if (now < this.#openUntil) return REFUSED;
      this.#probesIssued = 0;
      this.#probesSucceeded = 0;
      this.#transition("half-open", "open-elapsed");
    }
    if (this.#probesIssued >= this.options.halfOpenProbes) return REFUSED;
    this.#probesIssued++;
    return this.#generation;
  }

  onSuccess(now: number, permit: number): void {
    if (permit !== this.#generation) return;
    if (this.#state === "closed") {
      this.#consecutive = 0;
      this.#window.add0(now);
      return;
    }
    if (this.#state === "half-open" && ++this.#probesSucceeded >= this.options.halfOpenProbes) {
      this.#window.clear();
      this.#consecutive = 0;
      this.#closedAt = now;
      this.#transition("closed", "probes-succeeded");
    }
  }

  onFailure(now: number, permit: number): void {
    if (permit !== this.#generation) return;
    if (this.#state === "half-open") {
      this.#open(now, "probe-failed");
      return;
    }
    if (this.#state !== "closed") return;
    const o = this.options;
    const w = this.#window;
    w.add1(now);
    if (o.consecutiveFailures > 0 && ++this.#consecutive >= o.consecutiveFailures) {
      this.#open(now, "consecutive-failures");
      return;
    }
    const failures = w.sum1(now);
    const total = failures + w.sum0(now);
    if (total >= o.minRequests && failures >= o.failureRatio * total) this.#open(now, "failure-ratio");
  }

  /** The request ended with no verdict on the target (client went away, a later stage refused it):
   * frees a half-open probe slot so the next request can probe. */
  release(permit: number): void {
    if (permit === this.#generation && this.#state === "half-open" && this.#probesIssued > 0) {
      this.#probesIssued--;
    }
  }

  /** For Retry-After when tryAcquire refused: the rest of the open time; while half-open with every
   * probe out, the base open time (the probes decide sooner or the breaker re-opens for at least that). */
  retryAfterMs(now: number): number {
    if (this.#state === "open") return Math.max(0, Math.ceil(this.#openUntil - now));
    if (this.#state === "half-open") return this.options.openMs;
    return 0;
  }

  snapshot(now: number): BreakerSnapshot {
    const w = this.#window;
    const failures = w.sum1(now);
    return {
      state: this.#state,
      requests: failures + w.sum0(now),
      failures,
      consecutiveFailures: this.#consecutive,
      opens: this.#streak,
      retryAfterMs: this.retryAfterMs(now),
    };
  }

  #open(now: number, reason: TransitionReason): void {
    const o = this.options;
    // A breaker that re-opens within a window of closing is flapping: keep growing the open time.
    if (this.#state === "closed" && now - this.#closedAt >= o.windowMs) this.#streak = 0;
    this.#streak++;
    const grown = o.openMs * 2 ** (this.#streak - 1);
    this.#openUntil = now + Math.min(grown, o.maxOpenMs);
    this.#transition("open", reason);
  }

  #transition(to: BreakerState, reason: TransitionReason): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.onTransition?.(from, to, reason);
  }
}

/** Retry-After's value (whole seconds, at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function range(name: string, rule: string, value: number): never {
  throw new RangeError(`circuit breaker ${name} must be ${rule}, got ${value}`);
}
