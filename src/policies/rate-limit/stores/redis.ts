// Limiter state shared by every gateway through Redis. Each operation is one Lua script (redis-scripts.ts)
// run as EVALSHA; each call is bounded by `timeoutMs` whatever Redis does, failing with a
// StoreUnavailableError so the policy can apply its fail mode. While Redis is known to be down, calls
// fail at once except one probe at a time, so an outage costs requests no latency; the client reconnects
// in the background and the first successful probe (or a fresh connection) brings the store back up.
import { StoreUnavailableError } from "./errors.ts";
import {
  createRedisClient,
  disconnectClient,
  failureReason,
  type RedisClient,
  type RedisClientOptions,
  type RedisConnection,
  waitForReady,
} from "./redis-connection.ts";
import { SCRIPTS, type ScriptName } from "./redis-scripts.ts";
import type { Decision, LimiterStore, LimitSpec, QuotaDecision } from "./types.ts";
import { checkQuota, checkSpec, checkUnits, QUOTA_GRACE_MS } from "./validate.ts";

export { StoreUnavailableError } from "./errors.ts";
export type { RedisAddress, RedisConnection } from "./redis-connection.ts";

export type StoreState = "up" | "down";

export type RedisStoreOptions = RedisConnection &
  RedisClientOptions & {
    /** Called on each change between up and down (logging, metrics); `reason` is credential-free. */
    readonly onState?: (state: StoreState, reason?: string) => void;
  };

type Reply = readonly [
  allowed: number,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
  extra: number,
];
type ScriptCall = (key: string, ...args: (string | number)[]) => Promise<unknown>;

/**
 * Replies that fault the request, not Redis, leave the store up. Any other failure (timeouts, lost
 * connections, and replies like OOM, LOADING, BUSY, READONLY, CLUSTERDOWN) marks it down.
 */
const REQUEST_FAILURE = /^redis (ERR|WRONGTYPE|NOSCRIPT)$/;

export class RedisStore implements LimiterStore {
  readonly name = "redis";
  readonly timeoutMs: number;
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly onState: RedisStoreOptions["onState"];
  private readonly scripts: Record<ScriptName, ScriptCall>;
  private state: "connecting" | StoreState = "connecting";
  private downReason = "not connected";
  private lastError: string | undefined;
  private probing = false;
  private closed = false;
  /** Until the first connection succeeds or fails, calls wait for it (within their bound). */
  private firstConnect: PromiseWithResolvers<void> | undefined = Promise.withResolvers<void>();

  constructor(options: RedisStoreOptions) {
    const timeoutMs = options.timeoutMs ?? 50;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError("timeoutMs must be > 0");
    this.timeoutMs = timeoutMs;
    this.prefix = options.prefix;
    this.onState = options.onState;
    this.firstConnect?.promise.catch(() => {});
    this.client = createRedisClient(options, timeoutMs, "rate-limit");
    const commands = this.client as unknown as Record<ScriptName, ScriptCall>;
    const scripts = {} as Record<ScriptName, ScriptCall>;
    for (const [name, lua] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
      this.client.defineCommand(name, { numberOfKeys: 1, lua });
      scripts[name] = commands[name].bind(this.client);
    }
    this.scripts = scripts;
    // Without an "error" listener ioredis logs every failed reconnection attempt itself.
    this.client.on("error", (err: unknown) => {
      this.lastError = failureReason(err);
      if (this.state === "connecting") this.setDown(this.lastError);
    });
    this.client.on("ready", () => this.setUp());
    this.client.on("close", () => this.setDown(this.lastError ?? "connection closed"));
    this.client.on("end", () => this.setDown("connection ended"));
  }

  /** Up: the last connection event or call succeeded. */
  get connected(): boolean {
    return this.state === "up";
  }

  /** Waits (at most `waitMs`) for a usable connection, e.g. during startup; true when there is one. */
  ready(waitMs = 5000): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : waitForReady(this.client, waitMs);
  }

  async take(key: string, spec: LimitSpec, cost: number): Promise<Decision> {
    checkSpec(spec);
    checkUnits(cost, "cost");
    return toDecision(await this.reserve(key, spec, cost, false));
  }

  async lease(key: string, spec: LimitSpec, want: number): Promise<{ granted: number; decision: Decision }> {
    checkSpec(spec);
    checkUnits(want, "want");
    const reply = await this.reserve(key, spec, want, true);
    return { granted: reply[4], decision: toDecision(reply) };
  }

  async quota(key: string, limit: number, periodEndMs: number, cost: number): Promise<QuotaDecision> {
    checkQuota(limit, periodEndMs, cost);
    const args = [limit, Math.ceil(periodEndMs), cost, QUOTA_GRACE_MS];
    const reply = await this.call("rateLimitQuota", `${this.prefix}q:${key}`, args);
    return { ...toDecision(reply), used: reply[4] };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.firstConnect?.reject(new StoreUnavailableError("closed"));
    this.firstConnect = undefined;
    await disconnectClient(this.client);
  }

  private reserve(key: string, spec: LimitSpec, want: number, lease: boolean): Promise<Reply> {
    const flag = lease ? 1 : 0;
    return spec.kind === "sliding-window"
      ? this.call("rateLimitSlidingWindow", `${this.prefix}sw:${key}`, [
          spec.limit,
          spec.windowMs,
          want,
          flag,
        ])
      : this.call("rateLimitTokenBucket", `${this.prefix}tb:${key}`, [
          spec.limit,
          spec.windowMs,
          spec.capacity,
          want,
          flag,
        ]);
  }

  /** Runs one script within the bound; every failure becomes a StoreUnavailableError. */
  private call(script: ScriptName, key: string, args: (string | number)[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("closed"));
    const probe = this.state === "down";
    if (probe) {
      if (this.probing) return Promise.reject(new StoreUnavailableError(this.downReason));
      this.probing = true;
    }
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => fail(new StoreUnavailableError("timeout")), this.timeoutMs);
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        if (probe) this.probing = false;
        return true;
      };
      const fail = (err: unknown): void => {
        if (!settle()) return;
        let reason = err instanceof StoreUnavailableError ? err.reason : failureReason(err);
        // ioredis only says "not writeable" between attempts; the last connection error says why.
        if (reason === "not connected" && this.lastError) reason = `not connected (${this.lastError})`;
        if (!REQUEST_FAILURE.test(reason)) this.setDown(reason);
        reject(new StoreUnavailableError(reason));
      };
      const send = (): void => {
        if (settled) return;
        this.scripts[script](key, ...args).then((reply) => {
          if (!isReply(reply)) return fail(new StoreUnavailableError("unexpected reply"));
          if (!settle()) return;
          this.setUp();
          resolve(reply);
        }, fail);
      };
      if (this.firstConnect && this.client.status !== "ready") this.firstConnect.promise.then(send, fail);
      else send();
    });
  }

  private setUp(): void {
    if (this.closed) return;
    this.lastError = undefined;
    this.firstConnect?.resolve();
    this.firstConnect = undefined;
    if (this.state === "up") return;
    this.state = "up";
    this.notify("up");
  }

  private setDown(reason: string): void {
    if (this.closed) return;
    this.downReason = reason;
    this.firstConnect?.reject(new StoreUnavailableError(reason));
    this.firstConnect = undefined;
    if (this.state === "down") return;
    this.state = "down";
    this.notify("down", reason);
  }

  private notify(state: StoreState, reason?: string): void {
    try {
      this.onState?.(state, reason);
    } catch {
      // A throwing logger must not break the store.
    }
  }
}

function isReply(reply: unknown): reply is Reply {
  return Array.isArray(reply) && reply.length === 5 && reply.every((v) => typeof v === "number");
}

function toDecision(reply: Reply): Decision {
  return { allowed: reply[0] === 1, remaining: reply[1], resetMs: reply[2], retryAfterMs: reply[3] };
}
