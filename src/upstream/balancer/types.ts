// The balancer contract. Balancers are pure: they hold no sockets and no health state. The caller says
// which targets may take traffic (`usable`) and, for least-request, how busy each one is (`inflight`), so
// the same balancer serves health checks, outlier ejection and circuit breakers without knowing of them.

export const BALANCER_KINDS = ["round-robin", "weighted", "least-request", "hash"] as const;
export type BalancerKind = (typeof BALANCER_KINDS)[number];

export interface BalancerTarget {
  /** host:port: stable across reloads, so a hash ring places the same target at the same points. */
  readonly id: string;
  /** A positive integer (the config allows 1..1000). */
  readonly weight: number;
}

export interface Balancer<T extends BalancerTarget> {
  readonly kind: BalancerKind;
  readonly targets: readonly T[];
  /**
   * A target for which `usable(t)` is true, or undefined if there is none.
   * `key` is the hash key (hash balancers only; without one they spread picks over the ring).
   * `avoid` (the target a retry just failed on) is returned only if no other target is usable.
   * Pass a `usable` function created once, not a fresh closure per request.
   */
  pick(usable: (t: T) => boolean, key?: string, avoid?: T): T | undefined;
}

export interface BalancerOptions<T extends BalancerTarget> {
  /** Requests in flight to a target: required by least-request. */
  readonly inflight?: (t: T) => number;
  /** Hash ring: virtual nodes per unit of weight (default 160, as ketama). */
  readonly pointsPerWeight?: number;
  /** Hash ring: most points in the ring; beyond it every target's share is scaled down (default 65,536). */
  readonly maxRingSize?: number;
  /** A [0, 1) source that seeds least-request's generator and round robin's starting place (tests pin it). */
  readonly random?: () => number;
}
