// Step 8: the upstream exchange. One ProxyCall per request is undici's dispatch handler: the response
// head is filtered and handed to the response policies, the body is streamed to the client with
// back-pressure (the upstream read pauses while the client socket is full), and every failure becomes
// a problem reply before the head is sent or a cut connection after it — never a hang, never garbage.
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { ERROR_CODES, type ErrorCode } from "../errors/codes.ts";
import { type Chain, runResponseHooks } from "../pipeline/chain.ts";
import type { RequestContext } from "../pipeline/context.ts";
import type { HeaderBag, ResponseView } from "../pipeline/types.ts";
import { bodyErrorReply } from "../server/body-guard.ts";
import { type AnyResponse, isHttp1, out, problemReply, sendLocal } from "../server/reply.ts";
import type { Target, UpstreamCluster, UpstreamTimeouts } from "./cluster.ts";
import { connectionTokens, HOP_BY_HOP } from "./hop-by-hop.ts";
import { backoffDelay, type RetryOn, shouldRetry } from "./resilience/retry.ts";
import { classifyUpstreamError } from "./upstream-error.ts";

export interface ProxyRequest {
  ctx: RequestContext;
  res: AnyResponse;
  chain: Chain;
  upstream: UpstreamCluster;
  target: Target;
  /** The target's circuit-breaker permit (0 when it has no breaker). */
  permit: number;
  /** The route's retry policy, when it has one. */
  retry?: RouteRetry | undefined;
  /** The hash key the balancer used, so a retry can pick consistently (avoiding the failed target). */
  key?: string | undefined;
  /** 1 for the first try. */
  attempt?: number;
  path: string;
  headers: HeaderBag;
  /** A stream, or the whole body when a policy read it (then a retry can send it again). */
  body: Readable | Buffer | null;
  timeouts: UpstreamTimeouts;
  now: () => number;
}

export interface RouteRetry {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly on: RetryOn;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The reason a response head is dropped: a retryable status, to be tried again elsewhere. */
const RETRY = new Error("retrying on another target");

export class ProxyCall implements Dispatcher.DispatchHandler {
  readonly #ctx: RequestContext;
  readonly #res: AnyResponse;
  readonly #chain: Chain;
  readonly #now: () => number;
  readonly #upstream: UpstreamCluster;
  readonly #target: Target;
  readonly #permit: number;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  /** The copy a policy asked for (captureResponse); chunks undefined once the body outgrew the cap. */
  #capture: { status: number; headers: HeaderBag; chunks: Buffer[] | undefined; bytes: number } | undefined =
    undefined;
  #done = false;
  #released = false;
  #retrying = false;
  /** A response policy replaced the body (ResponseView.body): the upstream's is drained, not relayed. */
  #replaced = false;
  readonly #p: ProxyRequest;
  readonly #attempt: number;

  constructor(p: ProxyRequest) {
    this.#p = p;
    this.#attempt = p.attempt ?? 1;
    this.#ctx = p.ctx;
    this.#res = p.res;
    this.#chain = p.chain;
    this.#now = p.now;
    this.#upstream = p.upstream;
    this.#target = p.target;
    this.#permit = p.permit;
  }

  static start(p: ProxyRequest): ProxyCall {
    const call = new ProxyCall(p);
    p.ctx.target = p.target.address;
    p.target.inflight++;
    if (call.#attempt === 1) {
      // The upstream time (and the total deadline) run from the first try.
      p.ctx.upstreamStartMs = p.now();
      p.upstream.retryBudget.recordRequest(Date.now());
    }
    // The handler's single "close" listener calls this first (one listener per request, not two).
    p.ctx.onClientClose = call.#onClientClose;
    p.target.pool.dispatch(
      {
        path: p.path,
        method: p.ctx.method as Dispatcher.HttpMethod,
        headers: p.headers as Record<string, string | string[]>,
        body: p.body,
        headersTimeout: call.#headersTimeout(),
        bodyTimeout: p.timeouts.bodyIdleMs,
        // undici must not replay anything itself: retries are decided here (#mayRetry).
        idempotent: false,
        blocking: false,
      },
      call,
    );
    return call;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error("client went away"));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    upstreamHeaders: IncomingHttpHeaders,
  ): void {
    const ctx = this.#ctx;
    ctx.upstreamEndMs = this.#now();
    const now = Date.now();
    this.#upstream.health.onResult(this.#upstream.name, this.#target.id, status >= 500 ? "5xx" : "ok", now);
    const breaker = this.#target.breaker;
    if (breaker !== undefined) {
      if (status >= 500) breaker.onFailure(now, this.#permit);
      else breaker.onSuccess(now, this.#permit);
    }
    if (status >= 500 && this.#mayRetry(null, status)) {
      // Drop this answer (undici closes its connection) and try another target.
      this.#retrying = true;
      controller.abort(RETRY);
      return;
    }
    const headers = filterResponseHeaders(upstreamHeaders);
    if (ctx.captureDone !== undefined)
      this.#capture = { status, headers: { ...headers }, chunks: [], bytes: 0 };
    headers["x-request-id"] = ctx.id;
    const view: ResponseView = { status, headers, local: false };
    runResponseHooks(this.#chain, ctx, view);
    ctx.status = view.status;
    const res = this.#res;
    if (res.destroyed) return;
    const body = view.body;
    if (body !== undefined) {
      // A policy answers with its own body: the upstream's is read to its end (keeping the connection,
      // and completing the copy the cache asked for) and dropped. The client may be gone by then: that
      // no longer concerns this exchange.
      this.#replaced = true;
      ctx.onClientClose = undefined;
      headers["content-length"] = String(body.length);
      ctx.bytesOut = ctx.method === "HEAD" ? 0 : body.length;
      out(res).writeHead(view.status, headers as Record<string, string | string[]>);
      if (ctx.method === "HEAD") out(res).end();
      else out(res).end(body);
      return;
    }
    if (isHttp1(res)) {
      // A small response's head, body and end arrive in one parser pass: corked until the next tick they
      // leave in one writev instead of two socket writes (the largest single cost of a proxied request).
      res.cork();
      process.nextTick(uncork, res);
    }
    out(res).writeHead(view.status, headers as Record<string, string | string[]>);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#retrying) return;
    const capture = this.#capture;
    if (this.#replaced) {
      if (capture?.chunks !== undefined) capture.chunks = undefined;
      return;
    }
    this.#ctx.bytesOut += chunk.length;
    if (capture?.chunks !== undefined) {
      capture.bytes += chunk.length;
      // Over the cap: drop what was kept and let the rest stream through uncopied.
      if (capture.bytes > this.#ctx.captureMax) capture.chunks = undefined;
      else capture.chunks.push(chunk);
    }
    if (!out(this.#res).write(chunk)) {
      controller.pause();
      this.#res.once("drain", this.#onDrain);
    }
  }

  onResponseEnd(): void {
    this.#done = true;
    this.#release();
    const capture = this.#capture;
    if (capture !== undefined) {
      this.#capture = undefined;
      this.#ctx.settleCapture(
        capture.chunks === undefined
          ? undefined
          : {
              status: capture.status,
              headers: capture.headers,
              body: Buffer.concat(capture.chunks, capture.bytes),
            },
      );
    }
    // Trailers are dropped: HTTP/1.1 clients rarely ask for them (TE: trailers) and gRPC has its own path.
    if (!this.#replaced) this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#retrying) {
      this.#retry();
      return;
    }
    const ctx = this.#ctx;
    if (ctx.upstreamEndMs === 0) ctx.upstreamEndMs = this.#now();
    if (this.#replaced) {
      // The client already has its whole answer; only the dropped upstream body failed.
      this.#release();
      this.#ctx.settleCapture(undefined);
      return;
    }
    const res = this.#res;
    const bodyReply = bodyErrorReply(err);
    if (bodyReply !== undefined || res.destroyed || ctx.flag === "DC") {
      this.#release();
      if (bodyReply !== undefined) sendLocal(ctx, res, bodyReply, this.#chain);
      return;
    }
    const code = classifyUpstreamError(err);
    const kind = HEALTH_RESULT[code];
    // Only failures before the response head: a head already counted as a result of its own.
    if (kind !== undefined && ctx.status === 0) {
      const now = Date.now();
      this.#upstream.health.onResult(this.#upstream.name, this.#target.id, kind, now);
      this.#target.breaker?.onFailure(now, this.#permit);
      if (this.#mayRetry(code, 0)) {
        this.#retry();
        return;
      }
    }
    this.#release();
    ctx.flag = ERROR_CODES[code].flag;
    if (!res.headersSent) {
      sendLocal(ctx, res, problemReply(code), this.#chain);
      return;
    }
    // The head is out: the only honest signal left is to cut the response short.
    ctx.errorCode = code;
    res.destroy(err);
  }

  /** Time left before the route's total deadline (from the first try), or Infinity without one. */
  #remainingMs(): number {
    const total = this.#p.timeouts.totalMs;
    return total === undefined ? Number.POSITIVE_INFINITY : total - (this.#now() - this.#ctx.upstreamStartMs);
  }

  /** Each try waits for the head no longer than the per-try timeout or what is left of the deadline. */
  #headersTimeout(): number {
    return Math.max(1, Math.min(this.#p.timeouts.responseHeadersMs, this.#remainingMs()));
  }

  /** Whether this failed try may be tried again: the route's conditions, safety, tries left, budget. */
  #mayRetry(error: ErrorCode | null, status: number): boolean {
    const retry = this.#p.retry;
    if (retry === undefined || this.#attempt >= retry.attempts) return false;
    // Not worth a try that could not get an answer before the deadline.
    if (this.#remainingMs() <= retry.backoffMaxMs) return false;
    const verdict = shouldRetry(retry.on, {
      method: this.#ctx.method,
      error,
      status,
      requestSent: true,
      body: this.#p.body === null ? "none" : Buffer.isBuffer(this.#p.body) ? "replayable" : "streamed",
      responseStarted: false,
    });
    // The budget is asked last: asking spends.
    return verdict === "retry" && this.#upstream.retryBudget.tryRetry(Date.now());
  }

  /** Gives this target back (the bulkhead slot passes to the next try) and tries again after a backoff. */
  #retry(): void {
    this.#released = true;
    this.#target.inflight--;
    const retry = this.#p.retry!;
    const delay = backoffDelay(this.#attempt, retry.backoffBaseMs, retry.backoffMaxMs, Math.random);
    setTimeout(() => this.#nextAttempt(), delay);
  }

  #nextAttempt(): void {
    const p = this.#p;
    const ctx = p.ctx;
    const slot = p.upstream.bulkhead;
    if (p.res.destroyed) {
      slot?.leave();
      return;
    }
    const choice = p.upstream.choose(p.key, p.target);
    if ("refusal" in choice) {
      slot?.leave();
      ctx.upstreamEndMs = this.#now();
      sendLocal(ctx, p.res, choice.refusal, p.chain);
      return;
    }
    ctx.upstreamEndMs = 0;
    ctx.retries++;
    ProxyCall.start({ ...p, target: choice.target, permit: choice.permit, attempt: this.#attempt + 1 });
  }

  readonly #onDrain = (): void => {
    this.#controller?.resume();
  };

  /** The target's in-flight count, given back exactly once however the exchange ends. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#target.inflight--;
    this.#upstream.bulkhead?.leave();
  }

  readonly #onClientClose = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#release();
    // A half-open probe the client abandoned proves nothing: give its slot back.
    this.#target.breaker?.release(this.#permit);
    const ctx = this.#ctx;
    ctx.flag = "DC";
    ctx.errorCode = "CLIENT_ABORTED";
    if (ctx.status === 0) ctx.status = ERROR_CODES.CLIENT_ABORTED.status;
    this.#controller?.abort(new Error("client went away"));
  };
}

/** How an upstream failure counts for passive health (outlier detection); gateway faults do not count. */
const HEALTH_RESULT: Partial<Record<ErrorCode, "5xx" | "connect-failure" | "timeout">> = {
  UPSTREAM_CONNECT_FAILED: "connect-failure",
  UPSTREAM_RESET: "connect-failure",
  UPSTREAM_CONNECT_TIMEOUT: "timeout",
  UPSTREAM_TIMEOUT: "timeout",
  UPSTREAM_PROTOCOL_ERROR: "5xx",
};

function uncork(res: ServerResponse): void {
  res.uncork();
}

/** Copies an upstream response head minus hop-by-hop headers and whatever Connection names. */
export function filterResponseHeaders(src: IncomingHttpHeaders): HeaderBag {
  const out: HeaderBag = {};
  const listed = connectionTokens(src.connection);
  for (const name in src) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = src[name];
  }
  return out;
}
