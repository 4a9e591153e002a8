// Writes responses the gateway makes itself: policy local replies and RFC 9457 problems.
import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { ERROR_CODES } from "../errors/codes.ts";
import { PROBLEM_CONTENT_TYPE, problemBody } from "../errors/problem.ts";
import { type Chain, runResponseHooks } from "../pipeline/chain.ts";
import type { RequestContext } from "../pipeline/context.ts";
import type { HeaderBag, LocalReply, ResponseView } from "../pipeline/types.ts";

export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Both response kinds share these methods at run time; the union's overloads do not unify in TS. */
export function out(res: AnyResponse): ServerResponse {
  return res as ServerResponse;
}

export function isHttp1(res: AnyResponse): res is ServerResponse {
  return (res as Http2ServerResponse).stream === undefined;
}

/**
 * HTTP/1 connections whose last response said "Connection: close". RFC 9112 §9.6: the server must not
 * process further requests on them. Node's parser keeps going through the bytes already read, so a
 * request pipelined behind a refused one (a smuggling attempt, typically) still reaches the handler.
 */
const closing = new WeakSet<object>();

export function isClosing(socket: object | null | undefined): boolean {
  return socket != null && closing.has(socket);
}

export { problemReply } from "../pipeline/problem-reply.ts";

/** Sends a local reply; runs the chain's response hooks (local = true) so e.g. CORS applies to errors too. */
export function sendLocal(
  ctx: RequestContext,
  res: AnyResponse,
  reply: LocalReply,
  chain: Chain | undefined,
): void {
  if (res.headersSent || res.destroyed) return;
  const headers: HeaderBag = { ...reply.headers };
  let body: string | Buffer | undefined = reply.body;
  if (reply.code !== undefined) {
    const spec: { flag: string; close?: boolean } = ERROR_CODES[reply.code];
    ctx.errorCode = reply.code;
    if (ctx.flag === "-") ctx.flag = spec.flag;
    body = problemBody(reply.code, ctx.id, reply.detail, reply.extensions);
    headers["content-type"] = PROBLEM_CONTENT_TYPE;
    headers["cache-control"] = "no-store";
    if (spec.close === true && isHttp1(res)) {
      headers.connection = "close";
      // res.socket is null while the response waits behind an earlier one; req.socket is always there.
      const socket = res.req?.socket;
      if (socket) closing.add(socket);
    }
  }
  headers["x-request-id"] = ctx.id;
  ctx.status = reply.status;
  ctx.local = true;
  const view: ResponseView = { status: reply.status, headers, local: true };
  if (chain !== undefined) runResponseHooks(chain, ctx, view);
  ctx.status = view.status;
  if (view.body !== undefined) body = view.body;
  const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
  if (body !== undefined || (reply.status !== 204 && reply.status !== 304))
    headers["content-length"] = String(length);
  ctx.bytesOut = length;
  const w = out(res);
  w.writeHead(view.status, headers as Record<string, string | string[]>);
  if (body === undefined || ctx.method === "HEAD") w.end();
  else if (typeof body !== "string" && body.length <= 8192) {
    // Node sends the head and a string body in one write, a Buffer body in a second chunk: as latin1
    // (one char per byte, the same bytes back) a small Buffer body goes out with its head.
    w.end(body.toString("latin1"), "latin1");
  } else w.end(body);
}
