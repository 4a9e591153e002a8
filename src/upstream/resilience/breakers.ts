// Circuit breakers per upstream target, outside the plan: a reload that keeps a target and its breaker
// settings keeps the breaker's state (an open breaker stays open).
import {
  type BreakerSnapshot,
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type TransitionReason,
} from "./circuit-breaker.ts";

export type BreakerTransitionSink = (
  upstream: string,
  target: string,
  from: BreakerState,
  to: BreakerState,
  reason: TransitionReason,
) => void;

interface Entry {
  readonly settings: string;
  readonly breaker: CircuitBreaker;
}

export class BreakerRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #onTransition: BreakerTransitionSink | undefined;

  constructor(onTransition?: BreakerTransitionSink) {
    this.#onTransition = onTransition;
  }

  /** The breaker for this target: the existing one when its settings are unchanged, else a new one. */
  acquire(upstream: string, target: string, options: CircuitBreakerOptions): CircuitBreaker {
    const id = `${upstream} ${target}`;
    const settings = JSON.stringify(options);
    const entry = this.#entries.get(id);
    if (entry !== undefined && entry.settings === settings) return entry.breaker;
    const sink = this.#onTransition;
    const breaker = new CircuitBreaker(
      options,
      sink ? (from, to, why) => sink(upstream, target, from, to, why) : null,
    );
    this.#entries.set(id, { settings, breaker });
    return breaker;
  }

  /** Forgets breakers whose target is no longer configured (called after a plan is swapped in). */
  retain(live: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!live.has(id)) this.#entries.delete(id);
  }

  snapshot(now: number): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [id, e] of this.#entries) out[id] = e.breaker.snapshot(now);
    return out;
  }
}
