// The partition a request is counted in: the limit's key parts joined, each value encoded so no client
// input can reach into another partition (":" or "}" in a header) or make a key huge.
import { createHash } from "node:crypto";
import type { RequestView } from "../../pipeline/types.ts";
import type { KeyPart } from "./schema.ts";

export type KeyFn = (req: RequestView) => string;

const MAX_PART = 128;

function clean(v: string): string {
  const enc = encodeURIComponent(v.toWellFormed());
  // "%~" cannot come out of encodeURIComponent, so a sent value can never pose as a hashed one.
  return enc.length <= MAX_PART ? enc : `%~${createHash("sha256").update(enc).digest("base64url")}`;
}

function headerValue(req: RequestView, name: string): string {
  const v = req.headers[name];
  return v === undefined ? "-" : clean(Array.isArray(v) ? v.join(",") : v);
}

function claimValue(req: RequestView, name: string): string {
  const v = req.identity?.claims[name];
  if (typeof v === "string") return clean(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "-";
}

/**
 * One function per key shape. A `consumer` part for a request without a consumer counts by client
 * address instead ("ip:" + address), so anonymous clients do not share one partition (which one client
 * could exhaust for all) and cannot pose as a consumer.
 */
export function compileKey(parts: readonly KeyPart[]): KeyFn {
  const fns = parts.map((p): ((req: RequestView) => string) => {
    // Encoded too: behind a trusted proxy the address comes from X-Forwarded-For text.
    if (p === "clientIp") return (req) => clean(req.clientIp);
    if (p === "route") return (req) => clean(req.routeName);
    if (p === "consumer") {
      return (req) => {
        const c = req.identity?.consumer;
        return c === undefined ? `ip:${clean(req.clientIp)}` : `c:${clean(c.id)}`;
      };
    }
    if ("header" in p) {
      const name = p.header.toLowerCase();
      return (req) => headerValue(req, name);
    }
    const claim = p.claim;
    return (req) => claimValue(req, claim);
  });
  if (fns.length === 1) return fns[0];
  return (req) => fns.map((f) => f(req)).join("|");
}
