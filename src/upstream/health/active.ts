// Active health check of one target: an HTTP probe on its own undici Client (probes never queue behind
// or borrow from the data-plane pool), one probe at a time, the next one scheduled after the last answer.
import { readFileSync } from "node:fs";
import { Client } from "undici";
import type { UpstreamConfig } from "../../config/schema.ts";
import {
  type ActiveCheckOptions,
  type HealthState,
  type ResolvedActiveCheck,
  resolveActive,
} from "./options.ts";

export type ProbeTls = UpstreamConfig["tls"];

export interface ProbeTarget {
  /** Stable id, host:port. */
  readonly id: string;
  /** http(s)://host:port */
  readonly origin: string;
  readonly http2?: boolean;
  readonly tls?: ProbeTls;
}

export type ActiveTransition = (targetId: string, from: HealthState, to: HealthState, reason: string) => void;

export interface ActiveHealthCheckInit {
  readonly target: ProbeTarget;
  readonly options: ActiveCheckOptions | ResolvedActiveCheck;
  readonly onTransition?: ActiveTransition;
  /** State carried over from a checker this one replaces (options changed on reload). */
  readonly resume?: HealthState;
}

export interface ActiveStats {
  state: HealthState;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  probes: number;
  failedProbes: number;
  /** Epoch ms of the last completed probe, 0 if none. */
  lastProbeAt: number;
  lastResult: string | null;
}

const TIMED_OUT = new Error("health probe timed out");

export class ActiveHealthCheck {
  readonly target: ProbeTarget;
  readonly options: ResolvedActiveCheck;
  readonly #onTransition: ActiveTransition | undefined;
  readonly #client: Client;
  readonly #headers: Record<string, string>;
  #state: HealthState;
  /** False until a probe has answered: until then one probe decides, not the thresholds. */
  #settled: boolean;
  #okStreak = 0;
  #failStreak = 0;
  #probes = 0;
  #failed = 0;
  #lastProbeAt = 0;
  #lastResult: string | null = null;
  #timer: NodeJS.Timeout | undefined;
  #inflight: AbortController | undefined;
  #started = false;
  #stopped = false;

  constructor(init: ActiveHealthCheckInit) {
    this.target = init.target;
    this.options = "expected" in init.options ? init.options : resolveActive(init.options);
    this.#onTransition = init.onTransition;
    const resumed = init.resume !== undefined && init.resume !== "unknown";
    this.#state = resumed ? init.resume! : this.options.initialState;
    this.#settled = resumed;
    this.#headers = { "user-agent": "portcullis-health-check" };
    if (this.options.host !== undefined) this.#headers.host = this.options.host;
    this.#client = createClient(init.target, this.options);
  }

  get state(): HealthState {
    return this.#state;
  }

  /** Unknown counts as usable: passive detection covers the short window before the first answer. */
  get usable(): boolean {
    return this.#state !== "unhealthy";
  }

  stats(): ActiveStats {
    return {
      state: this.#state,
      consecutiveSuccesses: this.#okStreak,
      consecutiveFailures: this.#failStreak,
      probes: this.#probes,
      failedProbes: this.#failed,
      lastProbeAt: this.#lastProbeAt,
      lastResult: this.#lastResult,
    };
  }

  /** The first probe goes out within jitterMs, not after a full interval: startup and reload learn fast. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#arm(Math.random() * this.options.jitterMs);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#inflight?.abort(new Error("health check stopped"));
    await this.#client.destroy().catch(() => {});
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#probe(), delayMs);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    const ac = new AbortController();
    this.#inflight = ac;
    const deadline = setTimeout(() => ac.abort(TIMED_OUT), this.options.timeoutMs);
    deadline.unref();
    let ok = false;
    let result: string;
    try {
      const res = await this.#client.request({
        method: this.options.method,
        path: this.options.path,
        headers: this.#headers,
        signal: ac.signal,
      });
      // Read the body to the end, within the same deadline, so the connection can be reused.
      await res.body.dump({ limit: 64 * 1024, signal: ac.signal });
      ok = this.options.expected(res.statusCode);
      result = `status ${res.statusCode}`;
    } catch (err) {
      result = ac.signal.reason === TIMED_OUT ? "timeout" : describe(err);
    } finally {
      clearTimeout(deadline);
      this.#inflight = undefined;
    }
    if (this.#stopped) return;
    this.#arm(this.options.intervalMs + Math.random() * this.options.jitterMs);
    this.#record(ok, result);
  }

  #record(ok: boolean, result: string): void {
    this.#probes++;
    this.#lastProbeAt = Date.now();
    this.#lastResult = result;
    if (ok) {
      this.#okStreak++;
      this.#failStreak = 0;
    } else {
      this.#failed++;
      this.#failStreak++;
      this.#okStreak = 0;
    }
    const from = this.#state;
    let to: HealthState = from;
    let reason = "";
    if (!this.#settled) {
      this.#settled = true;
      to = ok ? "healthy" : "unhealthy";
      reason = `first probe: ${result}`;
    } else if (ok && from !== "healthy" && this.#okStreak >= this.options.healthyThreshold) {
      to = "healthy";
      reason = `${this.#okStreak} consecutive passing probes (${result})`;
    } else if (!ok && from !== "unhealthy" && this.#failStreak >= this.options.unhealthyThreshold) {
      to = "unhealthy";
      reason = `${this.#failStreak} consecutive failed probes, last: ${result}`;
    }
    if (to === from) return;
    this.#state = to;
    this.#onTransition?.(this.target.id, from, to, reason);
  }
}

function createClient(target: ProbeTarget, o: ResolvedActiveCheck): Client {
  const https = target.origin.startsWith("https:");
  const tls = target.tls;
  const ca = https && tls?.ca ? readFileSync(tls.ca) : undefined;
  // Keep the probe connection between probes when the target allows it; undici shortens this to the
  // server's Keep-Alive hint, so a probe does not race the server closing an idle socket.
  const keepAlive = Math.min(Math.max(o.intervalMs * 2, 1_000), 60_000);
  const http2 = target.http2 === true;
  const options: Client.Options = {
    pipelining: 1,
    keepAliveTimeout: keepAlive,
    keepAliveMaxTimeout: keepAlive,
    // The probe's own deadline (an abort) covers connect, headers and body as one budget.
    headersTimeout: 0,
    bodyTimeout: 0,
    allowH2: http2,
    ...(http2 ? { h2Options: { useH2c: !https } } : {}),
    connect: {
      timeout: o.timeoutMs,
      ...(https
        ? {
            rejectUnauthorized: tls?.insecureSkipVerify !== true,
            ...(ca ? { ca } : {}),
            ...(tls?.serverName ? { servername: tls.serverName } : {}),
          }
        : {}),
    },
  };
  return new Client(target.origin, options);
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return "timeout (connect)";
    case "ECONNREFUSED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `connect-failure (${e.code})`;
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
      return `connection closed (${e.message ?? e.code})`;
    default:
      return `error (${e.code ?? e.message ?? String(err)})`;
  }
}
