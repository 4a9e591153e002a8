// Steps 1-8 for one request, in the seed's order: check the request (limits, header hygiene, path
// normalization), match the route, run the route's policies, proxy. A request reads the plan once.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { CompiledRoute, RuntimePlan } from "../config/plan.ts";
import type { PlanStore } from "../config/store.ts";
import { ERROR_CODES } from "../errors/codes.ts";
import { runRequestHooks } from "../pipeline/chain.ts";
import { RequestContext } from "../pipeline/context.ts";
import { type HeaderBag, type LocalReply, LocalReplyError } from "../pipeline/types.ts";
import type { MatchResult } from "../routing/types.ts";
import type { HashKeySpec, Target, UpstreamCluster } from "../upstream/cluster.ts";
import { connectionTokens, HOP_BY_HOP } from "../upstream/hop-by-hop.ts";
import { ProxyCall } from "../upstream/proxy.ts";
import { BodyGuard } from "./body-guard.ts";
import { clientAddress, setForwardedHeaders, unmapIPv4 } from "./forwarded.ts";
import { checkHeaders, hostWithoutPort } from "./hygiene/check-headers.ts";
import { normalizePath } from "./hygiene/normalize-path.ts";
import { hasBody } from "./read-body.ts";
import { type AnyResponse, isClosing, isHttp1, out, problemReply, sendLocal } from "./reply.ts";
import { SinkResponse } from "./sink-response.ts";

export type AnyRequest = IncomingMessage | Http2ServerRequest;

export interface HandlerDeps {
  store: PlanStore;
  /** Called once per request when its response is over (logs, metrics). */
  onDone(ctx: RequestContext, plan: RuntimePlan): void;
  /** A request of the gateway's own begins (a background revalidation); onDone follows as for others. */
  onStart(): void;
  /** True while shutting down: responses ask HTTP/1.1 clients to close. */
  draining(): boolean;
}

const now = () => performance.now();
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function createRequestHandler(deps: HandlerDeps, protocol: "http" | "https") {
  return function handle(req: AnyRequest, res: AnyResponse): void {
    const plan = deps.store.current;
    plan.inflight++;
    const headers = req.headers as HeaderBag;
    const incomingId = headers["x-request-id"];
    const id = typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const ctx = new RequestContext(id, req.method ?? "GET", protocol, req.httpVersion, headers, now());
    res.once("close", () => {
      ctx.onClientClose?.();
      deps.onDone(ctx, plan);
    });
    if (isHttp1(res) && isClosing(req.socket)) {
      // Read from the same bytes as a request we refused to trust: neither routed nor answered. Node
      // drops its queued response when the connection closes after the refusal.
      ctx.flag = "DPE";
      stopReading(req as IncomingMessage);
      return;
    }
    if (deps.draining() && isHttp1(res)) res.setHeader("connection", "close");

    const reply = admit(req, ctx, plan);
    if (reply !== undefined) {
      sendLocal(ctx, res, reply, plan.globalChain);
      if (reply.code !== undefined && isHttp1(res)) stopReading(req as IncomingMessage);
      return;
    }
    route(req, res, ctx, plan, deps);
  };
}

/** Step 2: limits, header hygiene, path normalization. Returns a reply when the request is refused. */
function admit(req: AnyRequest, ctx: RequestContext, plan: RuntimePlan): LocalReply | undefined {
  const { limits, hygiene } = plan;
  const peer = unmapIPv4(req.socket?.remoteAddress ?? "");
  ctx.peer = peer;
  ctx.clientIp = peer;
  const url = req.url ?? "";
  if (url.length > limits.maxUrlLength)
    return problemReply("URI_TOO_LONG", `URL longer than ${limits.maxUrlLength}`);
  const check = checkHeaders(req.rawHeaders, {
    underscores: hygiene.headersWithUnderscores,
    maxHeaders: limits.maxHeaders,
    httpVersion: req.httpVersion,
    parserCheckedValues: (req as Http2ServerRequest).stream === undefined,
  });
  if (!check.ok) return problemReply(check.code, check.detail);
  // Node accepts an "HTTP/2.0" request line on an HTTP/1 connection; nothing legitimate sends one.
  if (req.httpVersionMajor !== 1 && (req as Http2ServerRequest).stream === undefined) {
    return problemReply("BAD_REQUEST", `unsupported HTTP version ${req.httpVersion}`);
  }
  const target = normalizePath(url, hygiene);
  if (!target.ok) return problemReply("INVALID_PATH", target.reason);
  // RFC 9112 §3.2.2: an absolute-form target's authority overrides Host.
  ctx.authority = target.authority === "" ? check.host : target.authority;
  ctx.host = hostWithoutPort(ctx.authority);
  ctx.path = target.path;
  ctx.query = target.query;
  if (plan.trust !== undefined)
    ctx.clientIp = clientAddress({ peer, headers: ctx.headers, trust: plan.trust });
  if (check.drop !== undefined) for (const name of check.drop) delete (ctx.headers as HeaderBag)[name];
  const length = ctx.headers["content-length"];
  if (typeof length === "string" && Number(length) > limits.maxBodyBytes) {
    return problemReply("BODY_TOO_LARGE", `request body exceeds ${limits.maxBodyBytes} bytes`);
  }
  return undefined;
}

/** Steps 6-8: match, run the route's policies, proxy. */
function route(
  req: AnyRequest,
  res: AnyResponse,
  ctx: RequestContext,
  plan: RuntimePlan,
  deps: HandlerDeps,
): void {
  let match = plan.router.match(ctx);
  if (match.kind === "method-not-allowed" && ctx.method === "OPTIONS")
    match = preflightMatch(ctx, plan, match);
  if (match.kind === "not-found") {
    sendLocal(ctx, res, problemReply("NO_ROUTE"), plan.globalChain);
    return;
  }
  if (match.kind === "method-not-allowed") {
    const allow = match.allow.join(", ");
    sendLocal(ctx, res, problemReply("METHOD_NOT_ALLOWED", undefined, { allow }), plan.globalChain);
    return;
  }
  const r = match.route;
  ctx.routeName = r.name;
  ctx.params = match.params;
  ctx.upstreamName = r.upstream.name;
  ctx.upstreamHeaders = upstreamHeaders(ctx, r.preserveHost, plan);
  ctx.request = req;
  ctx.response = res;
  ctx.limits = plan.limits;
  if (ctx.protocol === "https") {
    ctx.tlsSocket = ((req as Http2ServerRequest).stream?.session?.socket ?? req.socket) as TLSSocket;
  }
  const path = ctx.query === "" ? match.upstreamPath : `${match.upstreamPath}?${ctx.query}`;

  let out: ReturnType<typeof runRequestHooks>;
  try {
    out = runRequestHooks(r.chain, ctx);
  } catch (err) {
    // A policy fault must cost one request, never the process.
    sendLocal(ctx, res, faultReply(ctx, err), r.chain);
    return;
  }
  if (out === undefined) forward(ctx, r, plan, path);
  else if (out instanceof Promise) {
    out.then(
      (reply) =>
        reply === undefined ? forward(ctx, r, plan, path) : answer(ctx, r, plan, path, deps, reply),
      (err: unknown) => sendLocal(ctx, res, faultReply(ctx, err), r.chain),
    );
  } else answer(ctx, r, plan, path, deps, out);
}

/** A policy's reply, and the background request it asked for, if any (LocalReply.background). */
function answer(
  ctx: RequestContext,
  r: CompiledRoute,
  plan: RuntimePlan,
  path: string,
  deps: HandlerDeps,
  reply: LocalReply,
): void {
  sendLocal(ctx, ctx.response as AnyResponse, reply, r.chain);
  const background = reply.background;
  if (background === undefined) return;
  const bg = ctx.fork(now());
  plan.inflight++;
  deps.onStart();
  try {
    background(bg);
  } catch (err) {
    bg.fault = err;
    deps.onDone(bg, plan);
    return;
  }
  const sink = new SinkResponse();
  bg.response = sink.asResponse();
  sink.once("close", () => {
    bg.onClientClose?.();
    deps.onDone(bg, plan);
  });
  forward(bg, r, plan, path);
}

/**
 * A LocalReplyError carries its reply; anything else is a gateway fault: 500 without internals for the
 * client, the error kept on the context for the gateway's log.
 */
function faultReply(ctx: RequestContext, err: unknown): LocalReply {
  if (err instanceof LocalReplyError) return err.reply;
  ctx.fault = err;
  return problemReply("INTERNAL", "a policy failed");
}

/** ctx.request and ctx.response are set (route()). */
function forward(
  ctx: RequestContext,
  r: CompiledRoute,
  plan: RuntimePlan,
  path: string,
  upstream: UpstreamCluster = r.upstream,
): void {
  const res = ctx.response as AnyResponse;
  if (res.destroyed) return;
  const key = upstream.hashKey === undefined ? undefined : hashKeyOf(ctx, upstream.hashKey);
  const choice = upstream.choose(key);
  if ("refusal" in choice) {
    fallBack(ctx, r, plan, path, upstream, choice.refusal);
    return;
  }
  const { target, permit } = choice;
  const bulkhead = upstream.bulkhead;
  if (bulkhead === undefined || bulkhead.tryEnter()) {
    startProxy(ctx, r, plan, path, upstream, target, permit, key);
    return;
  }
  // Full: wait in the upstream's bounded queue, or be refused at once.
  const refuse = (detail: string) => {
    target.breaker?.release(permit);
    sendLocal(ctx, res, problemReply("BULKHEAD_FULL", detail), r.chain);
  };
  const ticket = bulkhead.enqueue((admitted) => {
    ctx.onClientClose = undefined;
    if (!admitted) refuse(`upstream "${upstream.name}": no slot within the queue wait`);
    else if (res.destroyed) {
      bulkhead.leave();
      target.breaker?.release(permit);
    } else startProxy(ctx, r, plan, path, upstream, target, permit, key);
  });
  if (ticket === null) {
    refuse(`upstream "${upstream.name}" has ${bulkhead.active} requests in flight`);
    return;
  }
  ctx.onClientClose = () => {
    ticket.cancel();
    target.breaker?.release(permit);
  };
}

/**
 * No target of the route's upstream can take the request (none healthy, breakers open): the route's
 * fallback answers if it has one — a static reply, or one try of another upstream — else the error.
 */
function fallBack(
  ctx: RequestContext,
  r: CompiledRoute,
  plan: RuntimePlan,
  path: string,
  failed: UpstreamCluster,
  reply: LocalReply,
): void {
  const fallback = r.fallback;
  const res = ctx.response as AnyResponse;
  if (fallback === undefined || failed !== r.upstream) {
    sendLocal(ctx, res, reply, r.chain);
    return;
  }
  // The log keeps the reason (UH, UO) even when the fallback answers.
  if (reply.code !== undefined) ctx.flag = ERROR_CODES[reply.code].flag;
  if (fallback.reply !== undefined) {
    sendLocal(ctx, res, fallback.reply, r.chain);
    return;
  }
  ctx.upstreamName = fallback.upstream.name;
  forward(ctx, r, plan, path, fallback.upstream);
}

function startProxy(
  ctx: RequestContext,
  r: CompiledRoute,
  plan: RuntimePlan,
  path: string,
  upstream: UpstreamCluster,
  target: Target,
  permit: number,
  key: string | undefined,
): void {
  // The listeners route "Expect: 100-continue" here instead of letting Node answer it at once, so a
  // request refused by its headers (413, 401, 404...) is refused before the client sends its body.
  const res = ctx.response as AnyResponse;
  if (ctx.headers.expect !== undefined && !ctx.continued) out(res).writeContinue();
  ProxyCall.start({
    ctx,
    res,
    chain: r.chain,
    upstream,
    target,
    permit,
    retry: r.retry,
    key,
    path,
    headers: ctx.upstreamHeaders,
    body: requestBody(ctx, plan),
    timeouts: r.timeouts,
    now,
  });
}

/** The value a hash balancer hashes; undefined when the request lacks it (the balancer then spreads). */
function hashKeyOf(ctx: RequestContext, spec: HashKeySpec): string | undefined {
  if ("clientIp" in spec) return ctx.clientIp;
  if ("header" in spec) {
    const v = ctx.headers[spec.header.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }
  const cookie = ctx.headers.cookie;
  if (typeof cookie !== "string") return undefined;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === spec.cookie) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A CORS preflight asks about another method: routes listing only GET/POST would otherwise answer it
 * 405 before their CORS policy could. The route that would serve the announced method answers the
 * preflight if it has a CORS policy (which replies locally); otherwise the 405 stands.
 */
function preflightMatch(
  ctx: RequestContext,
  plan: RuntimePlan,
  denied: MatchResult<CompiledRoute>,
): MatchResult<CompiledRoute> {
  const announced = ctx.headers["access-control-request-method"];
  if (typeof announced !== "string" || ctx.headers.origin === undefined) return denied;
  const match = plan.router.match({ ...ctx, method: announced, headers: ctx.headers, path: ctx.path });
  return match.kind === "route" && match.route.chain.names.includes("cors") ? match : denied;
}

/** The client's headers minus hop-by-hop ones, plus the gateway's own (which a client cannot strip). */
function upstreamHeaders(ctx: RequestContext, preserveHost: boolean, plan: RuntimePlan): HeaderBag {
  const src = ctx.headers;
  const out: HeaderBag = {};
  const listed = connectionTokens(src.connection);
  for (const name in src) {
    if (name.charCodeAt(0) === 58 /* ":" h2 pseudo-header */ || HOP_BY_HOP.has(name)) continue;
    // The gateway answers Expect itself (forward() sends 100 Continue once the request is admitted).
    if (listed?.has(name) || name === "expect") continue;
    out[name] = src[name];
  }
  if (preserveHost) out.host = ctx.authority;
  else delete out.host;
  const trusted = plan.trust?.(ctx.peer, 0) === true;
  setForwardedHeaders(out, src, ctx.peer, trusted, ctx.protocol, ctx.authority);
  out["x-request-id"] = ctx.id;
  return out;
}

function requestBody(ctx: RequestContext, plan: RuntimePlan): Readable | Buffer | null {
  if (ctx.body !== undefined) {
    if (ctx.body.length === 0 && !hasBody(ctx)) return null;
    // A policy read the body: send it whole, framed by its length (a chunked original included).
    ctx.upstreamHeaders["content-length"] = String(ctx.body.length);
    return ctx.body.length === 0 ? null : ctx.body;
  }
  if (!hasBody(ctx)) return null;
  const req = ctx.request as AnyRequest;
  const guard = new BodyGuard(plan.limits.maxBodyBytes, plan.limits.bodyIdleTimeoutMs, ctx);
  req.on("error", (err) => guard.destroy(err));
  req.pipe(guard);
  return guard;
}

/** After refusing a request whose framing cannot be trusted, read nothing more from the connection. */
function stopReading(req: IncomingMessage): void {
  req.socket.pause?.();
}
