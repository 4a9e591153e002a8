// Options → compiled limits and quotas with their keys, and the checks the schema cannot make.

import { Ajv } from "ajv";
import { type Consumer, PolicyConfigError, type PolicyServices } from "../../pipeline/types.ts";
import { isTimeZone } from "./calendar.ts";
import { compileKey, type KeyFn } from "./keys.ts";
import type { ConsumerOverride, RateLimitOptions } from "./schema.ts";
import { consumerOverrideSchema } from "./schema.ts";
import type { LimitSpec } from "./stores/types.ts";

export interface CompiledLimit {
  readonly name: string;
  readonly spec: LimitSpec;
  readonly key: KeyFn;
  readonly windowSec: number;
}

export interface CompiledQuota {
  readonly name: string;
  readonly limit: number;
  readonly period: "day" | "month";
  readonly timeZone: string;
  readonly key: KeyFn;
}

export interface CompiledRateLimit {
  readonly limits: readonly CompiledLimit[];
  readonly quotas: readonly CompiledQuota[];
  /** Per consumer: exempt, or limits/quotas by name overridden. */
  readonly overrides: ReadonlyMap<Consumer, ConsumerOverride>;
}

/** Largest exact sliding window: its log holds one entry per admission in the window, per partition. */
const MAX_LOG = 100_000;

const checkOverride = new Ajv({ strict: false }).compile<ConsumerOverride>(consumerOverrideSchema);

export function compileRateLimit(
  options: RateLimitOptions,
  path: string,
  services: PolicyServices,
): CompiledRateLimit {
  if (options.limits === undefined && options.quotas === undefined) {
    throw new PolicyConfigError(path, "give limits or quotas");
  }
  const names = new Set<string>();
  const unique = (name: string, at: string) => {
    if (names.has(name)) throw new PolicyConfigError(at, `"${name}" is used twice; names must be unique`);
    names.add(name);
  };
  const limits = (options.limits ?? []).map((l, i): CompiledLimit => {
    unique(l.name, `${path}/limits/${i}/name`);
    const windowMs = l.windowSec * 1000;
    const bucket = l.algorithm === "token-bucket";
    if (!bucket && l.limit > MAX_LOG) {
      throw new PolicyConfigError(
        `${path}/limits/${i}/limit`,
        `a sliding window logs every admission: over ${MAX_LOG} per window use algorithm: token-bucket`,
      );
    }
    if (!bucket && l.burst !== undefined) {
      throw new PolicyConfigError(`${path}/limits/${i}/burst`, "burst is for token-bucket limits");
    }
    const spec: LimitSpec = bucket
      ? { kind: "token-bucket", limit: l.limit, windowMs, capacity: l.burst ?? l.limit }
      : { kind: "sliding-window", limit: l.limit, windowMs };
    return { name: l.name, spec, key: compileKey(l.key ?? ["clientIp"]), windowSec: l.windowSec };
  });
  const quotas = (options.quotas ?? []).map((q, i): CompiledQuota => {
    unique(q.name, `${path}/quotas/${i}/name`);
    const timeZone = q.timeZone ?? "UTC";
    if (!isTimeZone(timeZone)) {
      throw new PolicyConfigError(`${path}/quotas/${i}/timeZone`, `"${timeZone}" is not an IANA time zone`);
    }
    return {
      name: q.name,
      limit: q.limit,
      period: q.period,
      timeZone,
      key: compileKey(q.key ?? ["consumer"]),
    };
  });
  if (options.lease !== undefined && options.store !== "redis") {
    throw new PolicyConfigError(`${path}/lease`, "leases batch Redis round trips: they need store: redis");
  }
  if (options.store === "redis") checkRedis(services);

  // Checked for every consumer (the first policy to load reports a bad one with its path). A name this
  // policy does not have is not an error: it may belong to another route's policy.
  const overrides = new Map<Consumer, ConsumerOverride>();
  services.consumers.all().forEach((c, i) => {
    const raw = c.settings.rateLimit;
    if (raw === undefined) return;
    if (!checkOverride(raw)) {
      const first = checkOverride.errors?.[0];
      throw new PolicyConfigError(
        `/consumers/${i}/settings/rateLimit${first?.instancePath ?? ""}`,
        `rate-limit settings: ${first?.message ?? "invalid"}`,
      );
    }
    for (const [name, value] of Object.entries(raw.limits ?? {})) {
      const l = limits.find((x) => x.name === name);
      if (l?.spec.kind === "sliding-window" && value > MAX_LOG) {
        throw new PolicyConfigError(
          `/consumers/${i}/settings/rateLimit/limits/${name}`,
          `"${name}" is a sliding window, which logs every admission: at most ${MAX_LOG}`,
        );
      }
    }
    overrides.set(c, raw);
  });
  return { limits, quotas, overrides };
}

function checkRedis(services: PolicyServices): void {
  const r = services.redis;
  if (r === undefined)
    throw new PolicyConfigError("/redis", "store: redis needs the top-level redis section");
  const forms = [r.url, r.sentinels, r.cluster].filter((x) => x !== undefined).length;
  if (forms !== 1)
    throw new PolicyConfigError("/redis", "give exactly one of url, sentinels (with name) or cluster");
  if (r.sentinels !== undefined && r.name === undefined) {
    throw new PolicyConfigError("/redis/name", "Sentinel needs the master's name");
  }
}
