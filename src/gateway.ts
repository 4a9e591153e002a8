// Wires the house together: plan store, listeners, admin listener, logs and metrics, reload and
// graceful shutdown. The request path itself lives in src/server/handler.ts.
import { type AdminServer, sendJson, sendProblem, startAdminServer } from "./admin/server.ts";
import { DEFAULT_ADMIN } from "./config/defaults.ts";
import { type ConfigIssue, formatIssues, loadConfigFile, locate } from "./config/load.ts";
import type { RuntimePlan } from "./config/plan.ts";
import { compileLoaded, PlanStore, type ReloadOutcome } from "./config/store.ts";
import { ERROR_CODES } from "./errors/codes.ts";
import { type AccessLogFn, createAccessLogger, noopAccessLog } from "./observability/access-log.ts";
import { createLogger, flushLogger, type Logger } from "./observability/logger.ts";
import { Metrics } from "./observability/metrics.ts";
import type { RequestContext } from "./pipeline/context.ts";
import { type CountFn, type LogFn, runWarmUps } from "./pipeline/services.ts";
import { SharedResources } from "./pipeline/shared-resources.ts";
import { purgeCaches } from "./policies/cache/purge.ts";
import { answerClientError } from "./server/client-error.ts";
import { createRequestHandler } from "./server/handler.ts";
import { type Listener, listen } from "./server/listeners.ts";
import { healthSpec } from "./upstream/health/config.ts";
import { HealthRegistry } from "./upstream/health/registry.ts";
import { PoolRegistry } from "./upstream/pools.ts";
import { BreakerRegistry } from "./upstream/resilience/breakers.ts";

interface Shared {
  health: HealthRegistry;
  breakers: BreakerRegistry;
  resources: SharedResources;
  log: LogFn;
  count: CountFn;
}

/** How long startup waits for warm-ups (signing keys) before reporting ready anyway. */
const START_WARM_UP_MS = 10_000;

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid configuration:\n${formatIssues(issues)}`);
    this.issues = issues;
  }
}

export interface StartOptions {
  configFile: string;
  /** Reload when the file changes (default true). SIGHUP reloading is the CLI's business. */
  watch?: boolean;
  logger?: Logger;
  /** Admin listener port override (tests use 0). */
  adminPort?: number;
}

export class Gateway {
  readonly listeners: Listener[] = [];
  readonly store: PlanStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly configFile: string;
  admin: AdminServer | undefined;
  #active = 0;
  #draining = false;
  #warm = false;
  #stopping: Promise<void> | undefined;
  readonly #access: AccessLogFn;

  /** Target health (active checks, outlier ejection) and circuit breakers: outside the plan, so
   * reloads keep them. */
  readonly health: HealthRegistry;
  readonly breakers: BreakerRegistry;
  readonly #resources: SharedResources;

  constructor(plan: RuntimePlan, pools: PoolRegistry, logger: Logger, configFile: string, shared: Shared) {
    this.logger = logger;
    this.configFile = configFile;
    this.health = shared.health;
    this.breakers = shared.breakers;
    this.#resources = shared.resources;
    this.metrics = new Metrics();
    this.#access = createAccessLogger(logger, plan.config.log?.accessLog !== false);
    this.store = new PlanStore(plan, pools, { onReload: (o, ms) => this.#reported(o, ms), shared });
  }

  /** Starts, keeps or stops health checks, and forgets breakers, to match the plan's upstreams. */
  #syncHealth(plan: RuntimePlan): void {
    const live = new Set<string>();
    for (const u of plan.upstreams.values()) for (const t of u.targets) live.add(`${u.name} ${t.id}`);
    this.breakers.retain(live);
    this.health.sync(plan.config.upstreams.map(healthSpec)).catch((err: unknown) => {
      this.logger.error({ err }, "health checks could not be updated");
    });
  }

  /** Admin DELETE /cache?key=K | ?prefix=P | ?tag=T (exactly one): see purgeCaches. */
  async #purge(
    req: import("node:http").IncomingMessage,
    res: import("node:http").ServerResponse,
  ): Promise<void> {
    const params = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    const given = (["key", "prefix", "tag"] as const).filter((k) => params.has(k));
    const value = given.length === 1 ? (params.get(given[0]) ?? "") : "";
    if (value === "") {
      sendProblem(res, 400, "BAD_REQUEST", "Give exactly one of key, prefix or tag.");
      return;
    }
    const removed = await purgeCaches(this.#resources.values(), given[0], value);
    this.logger.info({ purge: { [given[0]]: value, removed } }, "cache purged");
    sendJson(res, 200, { removed });
  }

  /** Admin GET /upstreams: balancer, targets with requests in flight, and health state. */
  #upstreamsReport(): unknown {
    const health = this.health.snapshot();
    return {
      upstreams: [...this.store.current.upstreams.values()].map((u) => ({
        name: u.name,
        balancer: u.balancerKind,
        targets: u.targets.map((t) => {
          const h = health.upstreams.find((x) => x.name === u.name)?.targets.find((x) => x.id === t.id);
          const breaker = t.breaker?.snapshot(Date.now());
          return {
            id: t.id,
            weight: t.weight,
            inflight: t.inflight,
            ...(h ?? {}),
            ...(breaker ? { breaker } : {}),
          };
        }),
      })),
    };
  }

  /** Runs the current plan's warm-ups (bounded); /readyz answers 200 only after them. */
  async warmUp(): Promise<void> {
    const warmUps = this.store.current.services.warmUps;
    if (warmUps.length > 0) {
      const { ok, failed } = await runWarmUps(warmUps, START_WARM_UP_MS, (level, message, fields) =>
        this.logger[level](fields ?? {}, message),
      );
      this.logger.info({ warmUps: { ok, failed } }, "warm-ups done");
    }
    this.#warm = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get activeRequests(): number {
    return this.#active;
  }

  async start(adminPort?: number): Promise<void> {
    const plan = this.store.current;
    const deps = {
      store: this.store,
      onDone: (ctx: RequestContext, p: RuntimePlan) => this.#done(ctx, p),
      onStart: () => this.#active++,
      draining: () => this.#draining,
    };
    const handle = createRequestHandler(deps, "http");
    const handleTls = createRequestHandler(deps, "https");
    for (const config of plan.config.listeners) {
      const h = config.tls ? handleTls : handle;
      const listener = await listen({
        config,
        limits: plan.limits,
        onRequest: (req, res) => {
          this.#active++;
          h(req, res);
        },
        onClientError: (err, socket, name) => this.#clientError(err, socket, name),
        onConnection: (delta, name) =>
          delta === 1 ? this.metrics.connectionOpened(name) : this.metrics.connectionClosed(name),
      });
      this.listeners.push(listener);
      this.logger.info(
        { listener: listener.name, address: listener.address, port: listener.port },
        "listening",
      );
    }
    this.#syncHealth(plan);
    const admin = plan.config.admin ?? DEFAULT_ADMIN;
    this.admin = await startAdminServer({
      address: admin.address ?? DEFAULT_ADMIN.address,
      port: adminPort ?? admin.port,
      metrics: this.metrics,
      isReady: () => this.#warm && !this.#draining,
      logger: this.logger,
      extra: [
        {
          method: "DELETE",
          path: "/cache",
          handler: (req, res) => this.#purge(req, res),
        },
        {
          method: "GET",
          path: "/upstreams",
          handler: (_req, res) => sendJson(res, 200, this.#upstreamsReport()),
        },
      ],
    });
    this.logger.info({ port: this.admin.port }, "admin listening");
    // The stdout destination buffers 4 KiB before writing: without this, an operator (or a supervisor
    // waiting for "listening") sees nothing until enough requests have been logged.
    this.logger.flush();
  }

  reload(): Promise<ReloadOutcome> {
    return this.store.reload(this.configFile);
  }

  #reported(outcome: ReloadOutcome, ms: number): void {
    this.metrics.recordReload(outcome.ok);
    if (outcome.ok) {
      this.#syncHealth(outcome.plan);
      this.logger.info({ generation: outcome.plan.generation, ms: Math.round(ms) }, "configuration reloaded");
      const before = JSON.stringify(this.listeners.map((l) => l.name));
      const after = JSON.stringify(outcome.plan.config.listeners.map((l) => l.name));
      if (before !== after) this.logger.warn("listener changes take effect after a restart");
    } else {
      this.logger.error(
        { issues: outcome.issues },
        `configuration reload refused, still serving the previous one:\n${formatIssues(outcome.issues)}`,
      );
    }
    // Whoever just edited the file or sent SIGHUP is looking at the log now.
    this.logger.flush();
  }

  #done(ctx: RequestContext, plan: RuntimePlan): void {
    this.#active--;
    this.store.done(plan);
    // A copy asked for but never completed (local reply, error, client gone): the policy still hears.
    ctx.settleCapture(undefined);
    if (ctx.fault !== undefined) {
      this.logger.error({ err: ctx.fault, route: ctx.routeName, requestId: ctx.id }, "a policy failed");
    }
    const durationMs = performance.now() - ctx.startMs;
    const upstreamMs =
      ctx.upstreamStartMs === 0 ? undefined : (ctx.upstreamEndMs || performance.now()) - ctx.upstreamStartMs;
    this.metrics.recordRequest(
      ctx.routeName,
      ctx.method,
      ctx.status,
      durationMs / 1000,
      ctx.upstreamName,
      upstreamMs === undefined ? undefined : upstreamMs / 1000,
    );
    if (
      ctx.flag !== "-" &&
      ctx.flag !== "NR" &&
      ctx.upstreamName !== undefined &&
      ctx.upstreamStartMs !== 0
    ) {
      this.metrics.recordUpstreamError(ctx.upstreamName, ctx.flag);
    }
    if (this.#access === noopAccessLog) return;
    const ua = ctx.headers["user-agent"];
    this.#access({
      requestId: ctx.id,
      method: ctx.method,
      host: ctx.host,
      path: ctx.path,
      protocol: ctx.httpVersion === "1.1" ? "HTTP/1.1" : `HTTP/${ctx.httpVersion}`,
      clientIp: ctx.clientIp,
      userAgent: typeof ua === "string" ? ua : undefined,
      route: ctx.routeName,
      upstream: ctx.upstreamName,
      target: ctx.target,
      status: ctx.status,
      bytesIn: ctx.bytesIn,
      bytesOut: ctx.bytesOut,
      durationMs,
      upstreamDurationMs: upstreamMs,
      flag: ctx.flag,
      errorCode: ctx.errorCode,
      retries: ctx.retries === 0 ? undefined : ctx.retries,
      user:
        ctx.identity === undefined
          ? undefined
          : {
              name: ctx.identity.consumer?.name ?? ctx.identity.subject,
              id: ctx.identity.consumer?.id,
              method: ctx.identity.method,
            },
    });
  }

  #clientError(err: NodeJS.ErrnoException, socket: import("node:net").Socket, listener: string): void {
    const peer = socket.remoteAddress ?? "";
    const failure = answerClientError(err, socket);
    if (!failure.replied) return;
    const spec = ERROR_CODES[failure.code];
    this.metrics.recordRequest("-", "OTHER", spec.status, 0, undefined, undefined);
    this.#access({
      requestId: failure.requestId,
      method: "-",
      host: "-",
      path: "-",
      protocol: "HTTP/1.1",
      clientIp: peer,
      status: spec.status,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
      flag: spec.flag,
      errorCode: failure.code,
      route: `listener:${listener}`,
    });
  }

  /** Graceful shutdown: stop accepting, let requests in flight finish up to the grace period, then close. */
  shutdown(graceMs = this.store.current.limits.shutdownGraceMs): Promise<void> {
    this.#stopping ??= this.#shutdown(graceMs);
    return this.#stopping;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    this.logger.info({ graceMs, inFlight: this.#active }, "shutting down");
    for (const l of this.listeners) l.stopAccepting();
    const deadline = performance.now() + graceMs;
    while (this.#active > 0 && performance.now() < deadline) {
      for (const l of this.listeners) (l.server as import("node:http").Server).closeIdleConnections?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.#active > 0) this.logger.warn({ inFlight: this.#active }, "grace period over, cutting requests");
    for (const l of this.listeners) l.destroyAll();
    this.store.close();
    await this.health.close();
    this.#resources.closeAll();
    await this.admin?.close();
    await this.store.pools.closeAll();
    this.logger.info("stopped");
    await flushLogger(this.logger);
  }
}

/** Loads, validates and compiles the file, then starts listening. Throws ConfigError with every issue. */
export async function startGateway(opts: StartOptions): Promise<Gateway> {
  const loaded = await loadConfigFile(opts.configFile);
  if (!loaded.ok) throw new ConfigError(loaded.errors);
  const pools = new PoolRegistry();
  let logger: Logger | undefined;
  // Every health and breaker transition is logged once (the registries report each one).
  let metrics: Metrics | undefined;
  const health = new HealthRegistry({
    onTransition: (t) => {
      logger?.warn({ health: t }, "target health changed");
      metrics?.recordTransition(t.upstream, t.target, t.check, t.to);
    },
  });
  const breakers = new BreakerRegistry((upstream, target, from, to, reason) => {
    logger?.warn({ breaker: { upstream, target, from, to, reason } }, "circuit breaker changed");
    metrics?.recordTransition(upstream, target, "breaker", to);
  });
  const log: LogFn = (level, message, fields) => logger?.[level](fields ?? {}, message);
  const count: CountFn = (policy, event) => metrics?.recordPolicyEvent(policy, event);
  const shared: Shared = { health, breakers, resources: new SharedResources(), log, count };
  const compiled = compileLoaded(
    loaded.config,
    pools,
    (pointer) => ({ file: opts.configFile, ...locate(loaded.source, pointer) }),
    shared,
  );
  if (!compiled.ok) {
    await health.close();
    throw new ConfigError(compiled.issues);
  }
  const logConfig = loaded.config.log;
  logger =
    opts.logger ?? createLogger({ level: logConfig?.level ?? "info", format: logConfig?.format ?? "ecs" });
  const gateway = new Gateway(compiled.plan, pools, logger, opts.configFile, shared);
  metrics = gateway.metrics;
  await gateway.start(opts.adminPort);
  await gateway.warmUp();
  if (opts.watch !== false) gateway.store.watch(opts.configFile);
  return gateway;
}
