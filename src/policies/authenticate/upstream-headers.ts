// The identity headers an upstream receives. Client-sent copies are always removed first, so a backend
// can trust them whether or not the request was authenticated.
import type { HeaderBag, Identity } from "../../pipeline/types.ts";
import type { AuthenticateOptions } from "./schema.ts";

export interface IdentityHeaders {
  readonly names: readonly string[];
  readonly consumerId: string;
  readonly consumerName: string;
  readonly subject: string;
  readonly method: string;
  readonly claims: readonly (readonly [claim: string, header: string])[];
}

export function compileIdentityHeaders(options: AuthenticateOptions["upstream"]): IdentityHeaders {
  const o = options ?? {};
  const h = {
    consumerId: (o.consumerId ?? "x-consumer-id").toLowerCase(),
    consumerName: (o.consumerName ?? "x-consumer-name").toLowerCase(),
    subject: (o.subject ?? "x-auth-subject").toLowerCase(),
    method: (o.method ?? "x-auth-method").toLowerCase(),
    claims: Object.entries(o.claims ?? {}).map(([c, header]) => [c, header.toLowerCase()] as const),
  };
  const names = [h.consumerId, h.consumerName, h.subject, h.method, ...h.claims.map(([, n]) => n)];
  return { ...h, names: [...new Set(names)] };
}

export function stripIdentityHeaders(h: IdentityHeaders, upstream: HeaderBag): void {
  for (const name of h.names) if (upstream[name] !== undefined) delete upstream[name];
}

export function setIdentityHeaders(h: IdentityHeaders, upstream: HeaderBag, id: Identity): void {
  if (id.consumer !== undefined) {
    upstream[h.consumerId] = safe(id.consumer.id);
    upstream[h.consumerName] = safe(id.consumer.name);
  }
  if (id.subject !== "") upstream[h.subject] = safe(id.subject);
  upstream[h.method] = id.method;
  for (const [claim, header] of h.claims) {
    const v = headerValue(id.claims[claim]);
    if (v !== undefined) upstream[header] = v;
  }
}

function headerValue(v: unknown): string | undefined {
  if (typeof v === "string") return safe(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return safe(v.join(","));
  return undefined;
}

// Claims come from tokens: CR, LF or anything outside printable ASCII would split a header or be
// refused by the upstream client, so such values are percent-encoded.
const UNSAFE = /[^\x20-\x7e]/;
function safe(v: string): string {
  // toWellFormed: a lone surrogate (possible in any JSON string) would make encodeURIComponent throw.
  return UNSAFE.test(v) ? encodeURIComponent(v.toWellFormed()) : v;
}
