// Answers CORS preflights locally. A refused preflight still gets 204, only without the
// Access-Control-Allow-* headers: the browser then blocks the request and the reply reveals nothing
// about what would have been allowed. A preflight is never forwarded upstream.

import { TOKEN } from "../../pipeline/token.ts";
import type { HeaderBag, HeaderValue, LocalReply, RequestView } from "../../pipeline/types.ts";
import type { CompiledCors } from "./compile.ts";

const PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/** True for OPTIONS with Origin and Access-Control-Request-Method (Fetch's CORS-preflight request). */
export function isPreflight(req: RequestView): boolean {
  return (
    req.method === "OPTIONS" &&
    req.headers.origin !== undefined &&
    req.headers["access-control-request-method"] !== undefined
  );
}

/** Lower-cased names from Access-Control-Request-Headers, or undefined when one is not a token. */
function requestedHeaders(value: HeaderValue | undefined): string[] | undefined {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of (typeof value === "string" ? value : value.join(",")).split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "") continue;
    if (!TOKEN.test(name)) return undefined;
    out.push(name);
  }
  return out;
}

function headerAllowed(cors: CompiledCors, name: string): boolean {
  return cors.allowHeaders.has(name) || (cors.anyHeader && name !== "authorization");
}

export function answerPreflight(cors: CompiledCors, req: RequestView): LocalReply | undefined {
  if (!isPreflight(req)) return undefined;
  const origin = req.headers.origin;
  const method = req.headers["access-control-request-method"];
  // A fresh bag per reply: later hooks may add to it.
  const headers: HeaderBag = { vary: PREFLIGHT_VARY };
  const reply: LocalReply = { status: 204, headers };

  if (typeof origin !== "string" || typeof method !== "string" || !TOKEN.test(method)) return reply;
  if (cors.origins !== "*" && !cors.origins(origin)) return reply;
  if (!cors.anyMethod && !cors.methods.has(method)) return reply;
  const requested = requestedHeaders(req.headers["access-control-request-headers"]);
  if (requested === undefined) return reply;
  for (const name of requested) if (!headerAllowed(cors, name)) return reply;

  headers["access-control-allow-origin"] = cors.origins === "*" ? "*" : origin;
  if (cors.credentials) headers["access-control-allow-credentials"] = "true";
  headers["access-control-allow-methods"] = cors.methodsValue ?? method;
  const allowHeaders = cors.allowHeadersValue ?? (requested.length > 0 ? requested.join(", ") : undefined);
  if (allowHeaders !== undefined) headers["access-control-allow-headers"] = allowHeaders;
  if (cors.maxAge !== undefined) headers["access-control-max-age"] = cors.maxAge;
  if (cors.privateNetwork && req.headers["access-control-request-private-network"] === "true") {
    headers["access-control-allow-private-network"] = "true";
  }
  return reply;
}
