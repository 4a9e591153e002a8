// Argument checks shared by both stores, so a bad spec fails the same way whichever store runs it. They
// run on every call (a handful of comparisons): specs may be built per request (per-consumer overrides).
import type { LimitSpec } from "./types.ts";

function positiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer`);
}

export function checkSpec(spec: LimitSpec): void {
  if (spec.kind !== "sliding-window" && spec.kind !== "token-bucket") {
    throw new RangeError("limit kind must be sliding-window or token-bucket");
  }
  positiveInteger(spec.limit, "limit");
  positiveInteger(spec.windowMs, "windowMs");
  if (spec.kind === "token-bucket") positiveInteger(spec.capacity, "capacity");
}

/** `cost` may be 0 (look without taking); `want` (lease) at least 1. */
export function checkUnits(value: number, what: "cost" | "want"): void {
  const min = what === "cost" ? 0 : 1;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}`);
  }
}

export function checkQuota(limit: number, periodEndMs: number, cost: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError("quota limit must be an integer >= 0");
  if (!Number.isFinite(periodEndMs)) throw new RangeError("periodEndMs must be a finite epoch time");
  checkUnits(cost, "cost");
}

/**
 * A quota counter outlives its period end by this much: the period end is computed on the gateway's clock,
 * the expiry runs on the store's, and a counter must not vanish while a lagging gateway still uses its key.
 */
export const QUOTA_GRACE_MS = 60_000;
