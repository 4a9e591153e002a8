// An upstream as the plan sees it: its targets' pools, a balancer, and a view of target health (kept
// outside the plan, in the HealthRegistry, so a reload does not forget it).
import type { Pool } from "undici";
import type { UpstreamConfig } from "../config/schema.ts";
import type { LocalReply } from "../pipeline/types.ts";
import { problemReply } from "../server/reply.ts";
import { type Balancer, type BalancerKind, createBalancer } from "./balancer/index.ts";
import type { PoolRegistry } from "./pools.ts";
import type { BreakerRegistry } from "./resilience/breakers.ts";
import { Bulkhead, DEFAULT_BULKHEAD } from "./resilience/bulkhead.ts";
import {
  type CircuitBreaker,
  DEFAULT_CIRCUIT_BREAKER,
  REFUSED,
  retryAfterSeconds,
} from "./resilience/circuit-breaker.ts";
import { DEFAULT_RETRY_BUDGET, RetryBudget } from "./resilience/retry-budget.ts";

export interface Target {
  /** host:port: the balancer's and the health registry's stable id, and what logs and metrics show. */
  readonly id: string;
  readonly address: string;
  readonly pool: Pool;
  readonly weight: number;
  /** Requests in flight on this target (least-request balancing). */
  inflight: number;
  /** Set when the upstream configures circuit breaking. */
  readonly breaker: CircuitBreaker | undefined;
}

export interface UpstreamTimeouts {
  readonly connectMs: number;
  readonly responseHeadersMs: number;
  readonly bodyIdleMs: number;
  /** Deadline for the response head across all tries; undefined: none. */
  readonly totalMs?: number | undefined;
}

export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = Object.freeze({
  connectMs: 5_000,
  responseHeadersMs: 30_000,
  bodyIdleMs: 30_000,
});

/** What the proxy needs of target health: the registry, or nothing at all (validate, tests). */
export interface HealthView {
  isUsable(upstream: string, targetId: string, now: number): boolean;
  onResult(
    upstream: string,
    targetId: string,
    kind: "ok" | "5xx" | "connect-failure" | "timeout",
    now: number,
  ): void;
}

export const ALWAYS_HEALTHY: HealthView = Object.freeze({ isUsable: () => true, onResult: () => {} });

/** State that outlives plans (kept by the gateway, keyed by upstream and target). */
export interface SharedUpstreamState {
  health?: HealthView;
  breakers?: BreakerRegistry;
}

export type HashKeySpec = { header: string } | { cookie: string } | { clientIp: true };

export class UpstreamCluster {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly timeouts: UpstreamTimeouts;
  readonly http2: boolean;
  readonly balancerKind: BalancerKind;
  readonly hashKey: HashKeySpec | undefined;
  readonly health: HealthView;
  /** Caps requests in flight to this upstream (all targets together); undefined when not configured.
   * Per plan: after a reload the new plan's bulkhead counts from zero while the old plan drains. */
  readonly bulkhead: Bulkhead | undefined;
  /** Retries to this upstream, from every route, stay within this share of its requests. */
  readonly retryBudget: RetryBudget;
  readonly #balancer: Balancer<Target>;
  /** The clock read once per pick, shared with the usable() callback (no closure per request). */
  #now = 0;
  readonly #usable = (t: Target): boolean =>
    (t.breaker === undefined || t.breaker.state !== "open" || t.breaker.retryAfterMs(this.#now) === 0) &&
    this.health.isUsable(this.name, t.id, this.#now);

  constructor(config: UpstreamConfig, registry: PoolRegistry, shared: SharedUpstreamState = {}) {
    this.name = config.name;
    this.http2 = config.http2 === true;
    this.health = shared.health ?? ALWAYS_HEALTHY;
    this.bulkhead = config.bulkhead ? new Bulkhead({ ...DEFAULT_BULKHEAD, ...config.bulkhead }) : undefined;
    this.retryBudget = new RetryBudget({ ...DEFAULT_RETRY_BUDGET, ...config.retryBudget });
    const breakerOptions = config.circuitBreaker
      ? { ...DEFAULT_CIRCUIT_BREAKER, ...config.circuitBreaker }
      : undefined;
    this.timeouts = Object.freeze({ ...DEFAULT_UPSTREAM_TIMEOUTS, ...config.timeouts });
    this.targets = Object.freeze(
      config.targets.map((t) => {
        const url = new URL(t.url);
        const pool = registry.acquire({
          origin: url.origin,
          connections: config.connections ?? 256,
          keepAliveTimeoutMs: config.keepAliveTimeoutMs ?? 4_000,
          connectTimeoutMs: this.timeouts.connectMs,
          http2: this.http2,
          ...(config.tls ? { tls: config.tls } : {}),
        });
        const breaker =
          breakerOptions && shared.breakers
            ? shared.breakers.acquire(this.name, url.host, breakerOptions)
            : undefined;
        return { id: url.host, address: url.host, pool, weight: t.weight ?? 1, inflight: 0, breaker };
      }),
    );
    const b = config.balancer ?? "weighted";
    this.balancerKind = typeof b === "string" ? b : b.kind;
    this.hashKey = typeof b === "string" ? undefined : b.key;
    this.#balancer = createBalancer(this.balancerKind, this.targets, {
      inflight: (t) => t.inflight,
      ...(typeof b === "object" && b.pointsPerWeight !== undefined
        ? { pointsPerWeight: b.pointsPerWeight }
        : {}),
    });
  }

  /** A usable target, or undefined when every target is unhealthy or ejected. */
  pick(key?: string, avoid?: Target): Target | undefined {
    this.#now = Date.now();
    return this.#balancer.pick(this.#usable, key, avoid);
  }

  /**
   * The target for a try, with its breaker permit (0 without a breaker), or the refusal when none can
   * take it. A half-open target whose probes are all out passes the request to another target.
   */
  choose(
    key: string | undefined,
    avoid?: Target,
  ): { target: Target; permit: number } | { refusal: LocalReply } {
    const target = this.pick(key, avoid);
    if (target === undefined) return { refusal: this.#unavailable() };
    if (target.breaker === undefined) return { target, permit: 0 };
    const permit = target.breaker.tryAcquire(this.#now);
    if (permit !== REFUSED) return { target, permit };
    const other = this.pick(key, target);
    if (other !== undefined && other !== target) {
      if (other.breaker === undefined) return { target: other, permit: 0 };
      const otherPermit = other.breaker.tryAcquire(this.#now);
      if (otherPermit !== REFUSED) return { target: other, permit: otherPermit };
    }
    const retryAfter = retryAfterSeconds(target.breaker.retryAfterMs(this.#now));
    return { refusal: problemReply("CIRCUIT_OPEN", `target ${target.id}`, { "retry-after": retryAfter }) };
  }

  /** No usable target: CIRCUIT_OPEN when every target is out only because its breaker is open (with
   * the soonest Retry-After), else NO_HEALTHY_UPSTREAM. */
  #unavailable(): LocalReply {
    let soonest: number | undefined;
    for (const t of this.targets) {
      if (t.breaker === undefined || t.breaker.state === "closed") {
        return problemReply("NO_HEALTHY_UPSTREAM", `upstream "${this.name}"`);
      }
      const ms = t.breaker.retryAfterMs(this.#now);
      soonest = soonest === undefined ? ms : Math.min(soonest, ms);
    }
    return problemReply("CIRCUIT_OPEN", `upstream "${this.name}"`, {
      "retry-after": retryAfterSeconds(soonest ?? 0),
    });
  }

  release(registry: PoolRegistry): void {
    for (const t of this.targets) registry.release(t.pool);
  }
}
