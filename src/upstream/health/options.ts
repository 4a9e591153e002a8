// Health options as callers write them and as the checkers use them: defaults are applied here and only
// here, so the docs' defaults table, the schema and the behaviour cannot drift apart.
import { compileStatuses, type StatusMatcher, type StatusSpec } from "./statuses.ts";

/** "unknown" = no probe has answered yet; such a target takes traffic (see docs/upstream/health.md). */
export type HealthState = "unknown" | "healthy" | "unhealthy";

export interface ActiveCheckOptions {
  path?: string;
  method?: "GET" | "HEAD";
  /** Host header sent with the probe (default: the target's host:port). */
  host?: string;
  intervalMs?: number;
  /** Up to this much is added at random to each wait so probes of many targets do not line up. */
  jitterMs?: number;
  timeoutMs?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  expectedStatuses?: StatusSpec[];
  /** "unknown": usable until the first probe answers; "unhealthy": no traffic until a probe passes. */
  initialState?: "unknown" | "unhealthy";
}

export interface ResolvedActiveCheck {
  readonly path: string;
  readonly method: "GET" | "HEAD";
  readonly host: string | undefined;
  readonly intervalMs: number;
  readonly jitterMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly expectedStatuses: readonly StatusSpec[];
  readonly initialState: "unknown" | "unhealthy";
  /** Compiled from expectedStatuses (a function, so JSON.stringify of the options skips it). */
  readonly expected: StatusMatcher;
}

export const ACTIVE_DEFAULTS = Object.freeze({
  path: "/",
  method: "GET",
  intervalMs: 5_000,
  timeoutMs: 2_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  expectedStatuses: Object.freeze(["2xx"]),
  initialState: "unknown",
} as const);

export function resolveActive(o: ActiveCheckOptions): ResolvedActiveCheck {
  const intervalMs = positive("intervalMs", o.intervalMs ?? ACTIVE_DEFAULTS.intervalMs);
  const expectedStatuses = Object.freeze([...(o.expectedStatuses ?? ACTIVE_DEFAULTS.expectedStatuses)]);
  const path = o.path ?? ACTIVE_DEFAULTS.path;
  if (!path.startsWith("/")) throw new Error(`active health check: path must start with "/": ${path}`);
  return Object.freeze({
    path,
    method: o.method ?? ACTIVE_DEFAULTS.method,
    host: o.host,
    intervalMs,
    jitterMs: nonNegative("jitterMs", o.jitterMs ?? Math.round(intervalMs / 10)),
    timeoutMs: positive("timeoutMs", o.timeoutMs ?? ACTIVE_DEFAULTS.timeoutMs),
    healthyThreshold: positive("healthyThreshold", o.healthyThreshold ?? ACTIVE_DEFAULTS.healthyThreshold),
    unhealthyThreshold: positive(
      "unhealthyThreshold",
      o.unhealthyThreshold ?? ACTIVE_DEFAULTS.unhealthyThreshold,
    ),
    expectedStatuses,
    initialState: o.initialState ?? ACTIVE_DEFAULTS.initialState,
    expected: compileStatuses(expectedStatuses),
  });
}

export interface OutlierOptions {
  /** Eject after this many failures in a row of any kind (5xx, connect failure, timeout); 0 = off. */
  consecutive5xx?: number;
  /** Eject after this many connect failures or timeouts in a row (a 5xx answer breaks the run); 0 = off. */
  consecutiveGatewayFailures?: number;
  /** First ejection lasts this long; the n-th lasts n times as long. */
  baseEjectionMs?: number;
  maxEjectionMs?: number;
  /** Share of an upstream's targets that may be ejected at once (at least one when it has two or more). */
  maxEjectedPercent?: number;
}

export type ResolvedOutlier = Readonly<Required<OutlierOptions>>;

export const OUTLIER_DEFAULTS: ResolvedOutlier = Object.freeze({
  consecutive5xx: 5,
  consecutiveGatewayFailures: 3,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectedPercent: 50,
});

export function resolveOutlier(o: OutlierOptions): ResolvedOutlier {
  const r = { ...OUTLIER_DEFAULTS, ...withoutUndefined(o) };
  nonNegative("consecutive5xx", r.consecutive5xx);
  nonNegative("consecutiveGatewayFailures", r.consecutiveGatewayFailures);
  positive("baseEjectionMs", r.baseEjectionMs);
  positive("maxEjectionMs", r.maxEjectionMs);
  if (r.maxEjectionMs < r.baseEjectionMs)
    throw new Error("outlier detection: maxEjectionMs < baseEjectionMs");
  if (!(r.maxEjectedPercent >= 1 && r.maxEjectedPercent <= 100))
    throw new Error(`outlier detection: maxEjectedPercent must be 1..100, got ${r.maxEjectedPercent}`);
  return Object.freeze(r);
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`health: ${name} must be > 0, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new Error(`health: ${name} must be >= 0, got ${v}`);
  return v;
}
