// RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10/11): structured-field
// lists of named policies, `q` quota and `w` window in seconds; `r` remaining and `t` seconds to reset.

export interface PolicyItem {
  readonly name: string;
  readonly quota: number;
  readonly windowSec: number;
}

export function policyField(items: readonly PolicyItem[]): string {
  return items.map((i) => `"${i.name}";q=${i.quota};w=${i.windowSec}`).join(", ");
}

export interface StateItem {
  readonly name: string;
  readonly remaining: number;
  readonly resetMs: number;
}

export function stateField(items: readonly StateItem[]): string {
  return items
    .map(
      (i) =>
        `"${i.name}";r=${Math.max(0, Math.floor(i.remaining))};t=${Math.max(0, Math.ceil(i.resetMs / 1000))}`,
    )
    .join(", ");
}

/** Retry-After in whole seconds, at least 1 (0 would invite an immediate retry that is refused again). */
export function retryAfter(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
