// Every default in one place (DESIGN: "normalize: defaults applied in one place, then frozen").
// Safe defaults after Envoy's edge guidance: bounded headers, bodies and idle times; underscores and
// encoded slashes refused; nobody trusted to set X-Forwarded-For.
import type { Config } from "./schema.ts";

export interface Limits {
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly maxUrlLength: number;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly shutdownGraceMs: number;
}

export interface Hygiene {
  readonly headersWithUnderscores: "reject" | "drop" | "allow";
  readonly encodedSlashes: "reject" | "keep";
  readonly mergeSlashes: boolean;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  maxUrlLength: 8 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  bodyIdleTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
  shutdownGraceMs: 10_000,
});

export const DEFAULT_HYGIENE: Hygiene = Object.freeze({
  headersWithUnderscores: "reject",
  encodedSlashes: "reject",
  mergeSlashes: true,
});

export const DEFAULT_ADMIN = Object.freeze({ address: "127.0.0.1", port: 8081 });
export const DEFAULT_LISTEN_ADDRESS = "127.0.0.1";

export function limitsOf(config: Config): Limits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...config.limits });
}

export function hygieneOf(config: Config): Hygiene {
  return Object.freeze({ ...DEFAULT_HYGIENE, ...config.hygiene });
}
