// What this cache decides on top of http-cache-semantics (RFC 9111), and the header shapes it needs:
// plain objects with lower-case names and string values.
import type { HeaderBag, RequestView } from "../../pipeline/types.ts";

export function flatHeaders(bag: Readonly<HeaderBag>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in bag) {
    const v = bag[name];
    if (v !== undefined && name.charCodeAt(0) !== 58) out[name] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/**
 * The request as http-cache-semantics sees it. Its URL is the cache key: the library compares URLs
 * literally, and the key is the normalized form (sorted query) two equivalent requests share.
 */
export function policyRequest(req: RequestView, key: string) {
  return { url: key, method: req.method, headers: { ...flatHeaders(req.headers), host: req.host } };
}

function directives(value: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (value ?? "").toLowerCase().split(",")) {
    const name = part.split("=")[0].trim();
    if (name !== "") out.add(name);
  }
  return out;
}

/**
 * A request carrying credentials (Authorization, or an identity another way, e.g. an API key or a client
 * certificate) gets a response for that client. A shared cache may only reuse it for others when the
 * response says so (`public`, `s-maxage`), or when the key includes the consumer (RFC 9111 §3.5).
 */
export function mayStoreForOthers(
  req: RequestView,
  responseHeaders: Record<string, string>,
  keyHasConsumer: boolean,
): boolean {
  const credentialed = req.identity !== undefined || req.headers.authorization !== undefined;
  if (!credentialed || keyHasConsumer) return true;
  const cc = directives(responseHeaders["cache-control"]);
  return cc.has("public") || cc.has("s-maxage");
}

/** Unsafe methods invalidate what is stored for the URL (RFC 9111 §4.4). */
export function isUnsafe(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && method !== "TRACE";
}

export function requestDirectives(req: RequestView): Set<string> {
  const v = req.headers["cache-control"];
  return directives(Array.isArray(v) ? v.join(",") : v);
}
