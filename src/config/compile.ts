// compile: a validated Config → an immutable RuntimePlan. Everything a request needs is prepared here:
// the router tables, each route's policy chain, upstream pools, the trusted-proxy matcher.
import { Consumers } from "../consumers/directory.ts";
import { buildChain, createPolicy, type PolicyInstance } from "../pipeline/chain.ts";
import { type CountFn, type LogFn, planServices } from "../pipeline/services.ts";
import type { SharedResources } from "../pipeline/shared-resources.ts";
import { PolicyConfigError } from "../pipeline/types.ts";
import { compileRouterSteps } from "../routing/router.ts";
import type { RouterEntry } from "../routing/types.ts";
import { compileTrust } from "../server/forwarded.ts";
import { type SharedUpstreamState, UpstreamCluster } from "../upstream/cluster.ts";
import type { PoolRegistry } from "../upstream/pools.ts";
import { compileRetryOn, DEFAULT_RETRY_ON } from "../upstream/resilience/retry.ts";
import { hygieneOf, limitsOf } from "./defaults.ts";
import type { CompiledRoute, RuntimePlan } from "./plan.ts";
import type { Config } from "./schema.ts";
import { runSliced, runToEnd, type Steps } from "./slicing.ts";

export interface CompileIssue {
  /** JSON pointer into the config, e.g. /routes/3/match/path. */
  path: string;
  message: string;
}

export type CompileResult = { ok: true; plan: RuntimePlan } | { ok: false; issues: CompileIssue[] };

/** State every plan shares with the plans before and after it. */
export interface SharedState extends SharedUpstreamState {
  /** Policy objects that outlive reloads (key sets, caches). Default: a fresh set per compile. */
  resources?: SharedResources;
  log?: LogFn;
  count?: CountFn;
}

let generations = 0;

/** Compiles in one go (startup, `validate`). */
export function compilePlan(config: Config, pools: PoolRegistry, shared?: SharedState): CompileResult {
  return runToEnd(compileSteps(config, pools, shared));
}

/** Compiles in slices of a few milliseconds, giving the event loop back in between (reloads). */
export function compilePlanSliced(
  config: Config,
  pools: PoolRegistry,
  shared?: SharedState,
  sliceMs?: number,
): Promise<CompileResult> {
  return runSliced(compileSteps(config, pools, shared), sliceMs);
}

function* compileSteps(config: Config, pools: PoolRegistry, shared?: SharedState): Steps<CompileResult> {
  const { consumers, issues } = Consumers.compile(config.consumers);
  const ps = planServices(consumers, shared?.resources, shared?.log, shared?.count, config.redis);
  const policy = (
    name: string,
    options: unknown,
    path: string,
    route?: string,
  ): PolicyInstance | undefined => {
    try {
      return createPolicy(name, options, { path, route, services: ps.services });
    } catch (err) {
      if (err instanceof PolicyConfigError) issues.push({ path: err.path, message: err.message });
      else issues.push({ path, message: (err as Error).message });
      return undefined;
    }
  };

  const globals = new Map<string, PolicyInstance>();
  for (const [name, options] of Object.entries(config.policies ?? {})) {
    const p = policy(name, options, `/policies/${name}`);
    if (p) globals.set(name, p);
  }
  const globalChain = buildChain([...globals.values()]);

  const upstreams = new Map<string, UpstreamCluster>();
  const broken = new Set<string>();
  config.upstreams.forEach((u, i) => {
    // The schema's URL pattern admits strings URL cannot parse ("http://a b"); the cluster would throw,
    // and a throw here would take a serving gateway down on reload.
    let ok = true;
    u.targets.forEach((t, j) => {
      if (URL.canParse(t.url)) return;
      ok = false;
      issues.push({ path: `/upstreams/${i}/targets/${j}/url`, message: `"${t.url}" is not a valid URL` });
    });
    const b = u.balancer;
    const hashed = b === "hash" || (typeof b === "object" && b.kind === "hash");
    const keyed = typeof b === "object" && b.key !== undefined;
    if (hashed !== keyed) {
      ok = false;
      issues.push({
        path: `/upstreams/${i}/balancer`,
        message: hashed
          ? "a hash balancer needs a key: {header}, {cookie} or {clientIp: true}"
          : "only a hash balancer takes a key",
      });
    }
    const ids = new Set<string>();
    u.targets.forEach((t, j) => {
      if (!URL.canParse(t.url)) return;
      const id = new URL(t.url).host;
      if (ids.has(id)) {
        ok = false;
        issues.push({ path: `/upstreams/${i}/targets/${j}/url`, message: `target ${id} is listed twice` });
      }
      ids.add(id);
    });
    if (ok) upstreams.set(u.name, new UpstreamCluster(u, pools, shared));
    else broken.add(u.name);
  });

  const entries: RouterEntry<CompiledRoute>[] = [];
  for (let index = 0; index < config.routes.length; index++) {
    if (index % 64 === 63) yield;
    const route = config.routes[index];
    const upstream = upstreams.get(route.upstream);
    if (upstream === undefined) {
      if (!broken.has(route.upstream))
        issues.push({ path: `/routes/${index}/upstream`, message: `no upstream named "${route.upstream}"` });
      continue;
    }
    // A route's policy replaces the global policy of the same name (route over global).
    const instances = new Map(globals);
    for (const [name, options] of Object.entries(route.policies ?? {})) {
      const p = policy(name, options, `/routes/${index}/policies/${name}`, route.name);
      if (p) instances.set(name, p);
    }
    let fallback: CompiledRoute["fallback"];
    const fb = route.fallback;
    if (fb !== undefined && "upstream" in fb) {
      const other = upstreams.get(fb.upstream);
      if (other === undefined) {
        issues.push({
          path: `/routes/${index}/fallback/upstream`,
          message: `no upstream named "${fb.upstream}"`,
        });
      } else fallback = { upstream: other };
    } else if (fb !== undefined) {
      const body = fb.body ?? "";
      fallback = {
        reply: {
          status: fb.status,
          headers: {
            "content-type": fb.contentType ?? "text/plain; charset=utf-8",
            "cache-control": "no-store",
          },
          body,
        },
      };
    }
    entries.push({
      config: route,
      index,
      payload: Object.freeze({
        name: route.name,
        upstream,
        chain: buildChain([...instances.values()]),
        timeouts: Object.freeze({ ...upstream.timeouts, ...route.timeouts }),
        preserveHost: route.preserveHost === true,
        fallback,
        retry:
          route.retry === undefined || route.retry.attempts < 2
            ? undefined
            : Object.freeze({
                attempts: route.retry.attempts,
                on: compileRetryOn(route.retry.on ?? DEFAULT_RETRY_ON),
                backoffBaseMs: route.retry.backoffBaseMs ?? 25,
                backoffMaxMs: route.retry.backoffMaxMs ?? 250,
              }),
      }),
    });
  }

  const { router, errors: routeErrors } = yield* compileRouterSteps(entries);
  for (const err of routeErrors)
    issues.push({ path: `/routes/${err.routeIndex}/${err.field}`, message: err.message });

  let trust: RuntimePlan["trust"];
  try {
    trust = compileTrust(config.trustedProxies);
  } catch (err) {
    // proxy-addr refuses some blocks the validator accepts (a /0 prefix); name the entry it refused.
    const list = config.trustedProxies ?? [];
    const i = list.findIndex((cidr) => {
      try {
        compileTrust([cidr]);
        return false;
      } catch {
        return true;
      }
    });
    issues.push({ path: `/trustedProxies/${Math.max(i, 0)}`, message: (err as Error).message });
  }

  if (issues.length > 0 || router === undefined) {
    for (const u of upstreams.values()) u.release(pools);
    for (const key of ps.held) ps.resources.release(key);
    return { ok: false, issues };
  }
  const plan: RuntimePlan = {
    generation: ++generations,
    config,
    router,
    limits: limitsOf(config),
    hygiene: hygieneOf(config),
    trust,
    globalChain,
    upstreams,
    consumers,
    services: ps,
    inflight: 0,
    retired: false,
  };
  return { ok: true, plan };
}

/** Gives a retired plan's resources back once its last request is done. */
export function releasePlan(plan: RuntimePlan, pools: PoolRegistry): void {
  for (const u of plan.upstreams.values()) u.release(pools);
  for (const key of plan.services.held) plan.services.resources.release(key);
}
