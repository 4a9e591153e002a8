// Rate limits and calendar quotas (seed step 5), per gateway in memory or across gateways in Redis.
// Every limit and quota that applies takes one unit; the first refusal answers 429 with Retry-After.
// RateLimit-Policy and RateLimit go on every response of the route, refusals included.
import { problemReply } from "../../pipeline/problem-reply.ts";
import type { LocalReply, PolicyDefinition, RequestView } from "../../pipeline/types.ts";
import { periodOf } from "./calendar.ts";
import { type CompiledRateLimit, compileRateLimit } from "./compile.ts";
import { GuardedStore, StoreDown } from "./guarded-store.ts";
import { policyField, retryAfter, type StateItem, stateField } from "./headers.ts";
import { LazyRedisStore } from "./lazy-redis.ts";
import { Leases } from "./leases.ts";
import { type RateLimitOptions, rateLimitSchema } from "./schema.ts";
import { MemoryStore } from "./stores/memory.ts";
import type { Decision, LimiterStore, LimitSpec } from "./stores/types.ts";

interface Outcome {
  readonly name: string;
  readonly decision: Decision;
  readonly quota: boolean;
}

export const rateLimitPolicy: PolicyDefinition<RateLimitOptions> = {
  name: "rateLimit",
  phase: "rateLimit",
  priority: 1000,
  schema: rateLimitSchema,
  create(options, ctx) {
    // A route's policy counts apart from other routes', by the route's name, so a reload that reorders
    // routes keeps the counters; a global policy counts across routes unless its key names the route.
    const scope = ctx.route === undefined ? "*" : encodeURIComponent(ctx.route);
    const compiled = compileRateLimit(options, ctx.path, ctx.services);
    const services = ctx.services;
    const local = services.shared(`rate-limit memory`, () => new MemoryStore());
    const redisSettings = services.redis;
    let primary: LimiterStore = local;
    if (options.store === "redis" && redisSettings !== undefined) {
      const redis = services.shared(
        `redis ${JSON.stringify(redisSettings)}`,
        () =>
          new LazyRedisStore(redisSettings, (state, reason) =>
            services.log(state === "up" ? "info" : "warn", `redis ${state}`, { redis: { reason } }),
          ),
      );
      services.warmUp("redis", () => redis.connect(5000));
      primary = redis;
    }
    const failOpen = options.failureMode !== "closed";
    const store = new GuardedStore(primary, primary === local || !failOpen ? undefined : local, services);
    let take = (key: string, spec: LimitSpec): Decision | Promise<Decision> => store.take(key, spec, 1);
    if (options.lease !== undefined) {
      const terms = { size: options.lease.size, ttlMs: options.lease.ttlMs ?? 1000 };
      // Shared by every plan, so a reload does not open a second set of leases on the same keys.
      const leases = services.shared("rate-limit leases", () => new Leases());
      take = (key, spec) => leases.take(store, key, spec, terms);
    }
    const headers = options.headers !== false;
    const policyHeader = policyField([
      ...compiled.limits.map((l) => ({ name: l.name, quota: l.spec.limit, windowSec: l.windowSec })),
      ...compiled.quotas.map((q) => ({
        name: q.name,
        quota: q.limit,
        windowSec: q.period === "day" ? 86_400 : 2_592_000,
      })),
    ]);
    const states = new WeakMap<RequestView, string>();

    const conclude = (req: RequestView, outcomes: readonly Outcome[]): LocalReply | undefined => {
      // The RateLimit field is formatted only when it is sent.
      const state = headers ? stateField(outcomes.map(stateOf)) : "";
      if (outcomes.every((o) => o.decision.allowed)) {
        if (headers) states.set(req, state);
        return undefined;
      }
      const refused = outcomes.filter((o) => !o.decision.allowed);
      const wait = Math.max(...refused.map((o) => o.decision.retryAfterMs));
      const quota = refused.every((o) => o.quota);
      const reply = problemReply(
        quota ? "QUOTA_EXCEEDED" : "RATE_LIMITED",
        `${quota ? "quota" : "limit"} "${refused[0].name}" exceeded`,
        { "retry-after": retryAfter(wait) },
      );
      if (headers) {
        reply.headers = { ...reply.headers, "ratelimit-policy": policyHeader, ratelimit: state };
        states.set(req, state);
      }
      return reply;
    };

    return {
      onRequest(req) {
        const override = overrideOf(compiled, req);
        if (override?.exempt === true) return undefined;
        const pending: (Outcome | Promise<Outcome>)[] = [];
        try {
          // Keys are {scope|name|partition[|period]}: the braces are a Cluster hash tag.
          for (const l of compiled.limits) {
            const limit = own(override?.limits, l.name);
            const spec = limit === undefined ? l.spec : withLimit(l.spec, limit);
            const d = take(`{${scope}|${l.name}|${l.key(req)}}`, spec);
            pending.push(
              d instanceof Promise ? d.then((x) => outcome(l.name, x, false)) : outcome(l.name, d, false),
            );
          }
          const now = Date.now();
          for (const q of compiled.quotas) {
            const p = periodOf(now, q.period, q.timeZone);
            const limit = own(override?.quotas, q.name) ?? q.limit;
            const d = store.quota(`{${scope}|${q.name}|${q.key(req)}|${p.id}}`, limit, p.endMs, 1);
            pending.push(
              d instanceof Promise ? d.then((x) => outcome(q.name, x, true)) : outcome(q.name, d, true),
            );
          }
        } catch (err) {
          return unavailable(err);
        }
        if (!pending.some((p) => p instanceof Promise)) return conclude(req, pending as Outcome[]);
        return Promise.all(pending).then((all) => conclude(req, all), unavailable);
      },
      onResponse(req, res) {
        const state = states.get(req);
        if (state === undefined) return;
        res.headers["ratelimit-policy"] = policyHeader;
        res.headers.ratelimit = state;
      },
    };
  },
};

/** A consumer's override by name; own properties only (a limit named "constructor" is just a name). */
function own(record: Readonly<Record<string, number>> | undefined, name: string): number | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
}

function outcome(name: string, decision: Decision, quota: boolean): Outcome {
  return { name, decision, quota };
}

function stateOf(o: Outcome): StateItem {
  return { name: o.name, remaining: o.decision.remaining, resetMs: o.decision.resetMs };
}

function withLimit(spec: LimitSpec, limit: number): LimitSpec {
  if (spec.kind === "sliding-window") return { ...spec, limit };
  // An override of a bucket's rate scales its burst with it, unless the bucket had its own burst.
  return { ...spec, limit, capacity: spec.capacity === spec.limit ? limit : spec.capacity };
}

function overrideOf(c: CompiledRateLimit, req: RequestView) {
  const consumer = req.identity?.consumer;
  return consumer === undefined ? undefined : c.overrides.get(consumer);
}

function unavailable(err: unknown): LocalReply {
  if (err instanceof StoreDown)
    return problemReply("RATE_LIMIT_UNAVAILABLE", "rate-limit store unavailable", { "retry-after": "1" });
  throw err;
}
