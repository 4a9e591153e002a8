// What this cache decides around http-cache-semantics (RFC 9111), and the header shapes it needs. The
// library computes storability, freshness lifetime, age, revalidation headers and 304 updates; what it
// reads is normalized here first, where it departs from RFC 9111 for a shared cache:
//   - directive names are case-insensitive (§5.2), it matches them case-sensitively;
//   - it treats must-revalidate as "always revalidate" and proxy-revalidate as "never fresh"; both only
//     forbid serving stale (§5.2.2.2, §5.2.2.8), which this cache enforces itself (prohibitsStale);
//   - an Age with a list or an invalid value: the first member counts, an invalid one means stale (§5.1);
//     the apparent age (now - Date) counts when larger (§4.2.3);
//   - any final status is storable with explicit freshness (§3), not only its fixed list; must-understand
//     (§5.2.2.3) is honoured;
//   - Surrogate-Control (Edge Architecture 1.0), when present, replaces Cache-Control for this cache.
// Vary is handled by keying variants (index.ts), so the library never sees it.
import type { HeaderBag, RequestView } from "../../pipeline/types.ts";

export type Directives = Map<string, string | true>;

export function flatHeaders(bag: Readonly<HeaderBag>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in bag) {
    const v = bag[name];
    if (v !== undefined && name.charCodeAt(0) !== 58) out[name] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export type HeaderPairs = readonly (readonly [string, string])[];

/** Fields in received order as one string each (repeats joined with ", "), for reading them. */
export function flatOf(pairs: HeaderPairs): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of pairs)
    flat[name] = flat[name] === undefined ? value : `${flat[name]}, ${value}`;
  return flat;
}

/** Fields in received order as a header bag (repeats as arrays, e.g. Set-Cookie), for sending them. */
export function bagOf(pairs: HeaderPairs): HeaderBag {
  const bag: HeaderBag = {};
  for (const [name, value] of pairs) {
    const had = bag[name];
    bag[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return bag;
}

/** A header bag as pairs (arrays spread, HTTP/2 pseudo-headers left out), as the store keeps them. */
export function pairsOf(headers: Readonly<HeaderBag>): [string, string][] {
  const out: [string, string][] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || name.charCodeAt(0) === 58) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([name, one]);
  }
  return out;
}

/** Cache-Control-style directives: names lower-cased, quoted values unquoted; the first of a repeat wins. */
export function parseDirectives(value: string | readonly string[] | undefined): Directives {
  const out: Directives = new Map();
  if (value === undefined) return out;
  const text = typeof value === "string" ? value : value.join(",");
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === "" || out.has(name)) continue;
    out.set(
      name,
      eq === -1
        ? true
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, "$1"),
    );
  }
  return out;
}

/** A delta-seconds directive value (RFC 9111 §1.2.2), or undefined when absent or not 1*DIGIT. */
export function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (typeof v !== "string" || !/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), 2 ** 31);
}

function formatDirectives(d: Directives): string {
  return [...d].map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(", ");
}

/** Status codes RFC 9110 defines: the ones this cache understands for must-understand. */
function understood(status: number): boolean {
  return (
    (status >= 200 && status <= 206) ||
    (status >= 300 && status <= 305) ||
    status === 307 ||
    status === 308 ||
    (status >= 400 && status <= 417) ||
    status === 421 ||
    status === 422 ||
    status === 426 ||
    (status >= 500 && status <= 505)
  );
}

/** Statuses http-cache-semantics stores; others are shown to it as 200 when they may be stored. */
const LIBRARY_STATUSES = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);

export interface NormalizedResponse {
  /** What http-cache-semantics is given. */
  readonly status: number;
  readonly headers: Record<string, string>;
  /** must-revalidate, proxy-revalidate, s-maxage or no-cache: never served stale (§4.2.4). */
  readonly prohibitsStale: boolean;
  /** The effective directives (Surrogate-Control's when it applies). */
  readonly directives: Directives;
}

/**
 * The response as http-cache-semantics should read it, or undefined when this cache must not store it
 * whatever the library says (partial content, Vary: *, must-understand with an unknown status, a final
 * status that cannot be stored).
 */
export function normalizeResponse(
  status: number,
  headers: Record<string, string>,
  surrogateControl: boolean,
): NormalizedResponse | undefined {
  if (status < 200 || status === 206 || status === 304) return undefined;
  const surrogate = surrogateControl ? targetedDirectives(headers["surrogate-control"]) : undefined;
  const d = surrogate ?? parseDirectives(headers["cache-control"]);
  if (d.has("must-understand")) {
    if (!understood(status)) return undefined;
    d.delete("no-store");
  }
  const vary = headers.vary;
  if (vary?.split(",").some((v) => v.trim() === "*")) return undefined;
  const prohibitsStale =
    d.has("must-revalidate") || d.has("proxy-revalidate") || d.has("s-maxage") || d.has("no-cache");
  const lib = new Map(d);
  lib.delete("must-revalidate");
  lib.delete("proxy-revalidate");
  lib.delete("must-understand");
  const out: Record<string, string> = { ...headers };
  delete out.vary;
  delete out["surrogate-control"];
  if (lib.size > 0) out["cache-control"] = formatDirectives(lib);
  else delete out["cache-control"];
  if (surrogate !== undefined) delete out.expires;
  const age = headers.age;
  let ageValue = 0;
  if (age !== undefined) {
    const first = age.split(",")[0].trim();
    // §5.1: an invalid Age makes the response stale.
    ageValue = /^\d+$/.test(first) ? Number(first) : 2147483648;
  }
  // §4.2.3: the initial age is the larger of Age and the apparent age (now - Date); the library reads
  // only Age.
  const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  if (Number.isFinite(date)) ageValue = Math.max(ageValue, Math.floor((Date.now() - date) / 1000));
  if (ageValue > 0) out.age = String(ageValue);
  else delete out.age;
  let libStatus = status;
  if (!LIBRARY_STATUSES.has(status)) {
    const explicit =
      d.has("max-age") || d.has("s-maxage") || d.has("public") || headers.expires !== undefined;
    if (!explicit) return undefined;
    libStatus = 200;
  }
  return { status: libStatus, headers: out, prohibitsStale, directives: d };
}

/** Surrogate-Control directives meant for every surrogate (no `;target`), or undefined without any. */
function targetedDirectives(value: string | undefined): Directives | undefined {
  if (value === undefined) return undefined;
  const mine = value
    .split(",")
    .filter((part) => !part.includes(";"))
    .join(",");
  const d = parseDirectives(mine);
  return d.size > 0 ? d : undefined;
}

/** The request as http-cache-semantics sees it: its URL is the cache key, credentials are judged here. */
export function policyRequest(req: RequestView, key: string, method = req.method) {
  const headers = flatHeaders(req.headers);
  delete headers.authorization;
  delete headers["cache-control"];
  delete headers.pragma;
  headers.host = req.host;
  return { url: key, method, headers };
}

/**
 * A request carrying credentials (Authorization, or an identity another way, e.g. an API key or a client
 * certificate) gets a response for that client. A shared cache may only reuse it for others when the
 * response says so (`public`, `s-maxage`, `must-revalidate`), or when the key includes the consumer
 * (RFC 9111 §3.5).
 */
export function mayStoreForOthers(req: RequestView, d: Directives, keyHasConsumer: boolean): boolean {
  const credentialed = req.identity !== undefined || req.headers.authorization !== undefined;
  if (!credentialed || keyHasConsumer) return true;
  return d.has("public") || d.has("s-maxage") || d.has("must-revalidate");
}

/** Unsafe methods invalidate what is stored for the URL (RFC 9111 §4.4). */
export function isUnsafe(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && method !== "TRACE";
}

/** Request directives, with `Pragma: no-cache` read as `no-cache` when there is no Cache-Control (§5.4). */
const NONE: Directives = new Map();

export function requestDirectives(req: RequestView): Directives {
  const cc = req.headers["cache-control"];
  // Most requests have neither: no Map per request for them (callers only read the result).
  if (cc === undefined && req.headers.pragma === undefined) return NONE;
  const d = parseDirectives(cc);
  if (cc === undefined) {
    const pragma = req.headers.pragma;
    if (pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(String(pragma))) d.set("no-cache", true);
  }
  return d;
}

/** The header value a Vary field selects on, normalized so equivalent requests share a variant. */
export function varyValue(req: RequestView, name: string): string {
  const v = req.headers[name];
  if (v === undefined) return "";
  const text = (Array.isArray(v) ? v.join(",") : v)
    .replace(/\s*,\s*/g, ",")
    .replace(/\s+/g, " ")
    .trim();
  return name.startsWith("accept") ? text.toLowerCase() : text;
}

function opaqueTag(tag: string): string {
  const t = tag.trim();
  return t.startsWith("W/") || t.startsWith("w/") ? t.slice(2) : t;
}

/**
 * RFC 9110 §13.1.2 / §13.1.3 on a stored response: true when the client's own If-None-Match (weak
 * comparison) or, without one, If-Modified-Since says its copy is current, so a 304 answers it.
 */
export function clientHasCurrent(req: RequestView, headers: Readonly<Record<string, string>>): boolean {
  const inm = req.headers["if-none-match"];
  if (inm !== undefined) {
    const etag = headers.etag;
    const list = Array.isArray(inm) ? inm.join(",") : inm;
    if (list.trim() === "*") return etag !== undefined;
    if (etag === undefined) return false;
    const mine = opaqueTag(etag);
    return list.split(",").some((t) => opaqueTag(t) === mine);
  }
  const ims = req.headers["if-modified-since"];
  if (typeof ims !== "string") return false;
  const since = Date.parse(ims);
  const modified = Date.parse(headers["last-modified"] ?? headers.date ?? "");
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}

/** Fields a 304 carries (RFC 9110 §15.4.5); other representation metadata is left out. */
export const NOT_MODIFIED_FIELDS = ["cache-control", "content-location", "date", "etag", "expires", "vary"];

/** Fields a 304 does not update in the stored response (RFC 9111 §3.2): they describe the stored body. */
export const NOT_UPDATED_BY_304 = new Set([
  "content-length",
  "content-encoding",
  "content-range",
  "transfer-encoding",
  "content-md5",
  "etag",
  "x-request-id",
]);

/**
 * The stored fields with every field the 304 carries replacing all of its stored instances (§3.2). The
 * stored Age goes: it described the message first received, and the entry's age now starts from the 304
 * (its own Age, if it has one, and its Date).
 */
export function mergeNotModified(stored: HeaderPairs, fresh: Readonly<HeaderBag>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of stored)
    if (name !== "age" && (fresh[name] === undefined || NOT_UPDATED_BY_304.has(name)))
      out.push([name, value]);
  for (const name in fresh) {
    if (NOT_UPDATED_BY_304.has(name) || name.charCodeAt(0) === 58) continue;
    const v = fresh[name];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([name, one]);
  }
  return out;
}
