import { isValidHost } from "./host.ts";

// One normalization, applied once, so that the path the router and deny rules match is byte for byte the
// path forwarded upstream (RFC 3986 §6.2.2; Envoy's normalize_path + merge_slashes +
// path_with_escaped_slashes_action). docs/hygiene.md lists the rules and why each one is there.

export interface NormalizePathOptions {
  /** %2F and %5C: refuse the request, or keep them encoded (uppercased) and opaque. */
  readonly encodedSlashes: "reject" | "keep";
  /** Collapse runs of '/' into one (after dot-segment removal, as Envoy does). */
  readonly mergeSlashes: boolean;
}

export type NormalizedTarget =
  | {
      readonly ok: true;
      /** The normalized path: what is matched and what is forwarded. */
      readonly path: string;
      /** The raw query without '?', "" when none. */
      readonly query: string;
      /** The authority of an absolute-form target ("" for origin-form). RFC 9112 §3.2.2: it wins over Host. */
      readonly authority: string;
    }
  | { readonly ok: false; readonly reason: string };

// Failures are shared frozen objects: refusing attack traffic allocates nothing.
const fail = (reason: string) => Object.freeze({ ok: false as const, reason });
const NOT_ORIGIN_FORM = fail("request-target is neither origin-form nor absolute-form");
const BAD_AUTHORITY = fail("invalid authority in absolute-form request-target");
const FRAGMENT = fail("fragment in request-target");
const BAD_CHAR = fail("character not allowed in path");
const BAD_QUERY_CHAR = fail("character not allowed in query");
const BAD_ESCAPE = fail("invalid percent-encoding");
const ENCODED_NUL = fail("encoded NUL (%00) in path");
const ENCODED_SLASH = fail("encoded slash or backslash (%2F, %5C) in path");
const DOT_PARAMS = fail("dot-segment with parameters ('..;') in path");

const SLASH = 0x2f;
const DOT = 0x2e;
const PCT = 0x25;
const QMARK = 0x3f;
const HASH = 0x23;
const SEMI = 0x3b;

// PATH[c]: 0 refused, 1 plain pchar, 2 needs a look ('/', '%', '?', '#').
// pchar = unreserved / pct-encoded / sub-delims / ':' / '@' (RFC 3986 §3.3). Everything else raw is refused:
// controls, space, DEL, '"' '<' '>' '\' '^' '`' '{' '|' '}' '[' ']' and any char above 0x7E.
const PATH = new Uint8Array(128);
// UNRESERVED[c]: an escape of c is decoded (RFC 3986 §2.3).
const UNRESERVED = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) PATH[c] = UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) PATH[c] = UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) PATH[c] = UNRESERVED[c] = 1;
for (const ch of "-._~") PATH[ch.charCodeAt(0)] = UNRESERVED[ch.charCodeAt(0)] = 1;
for (const ch of "!$&'()*+,;=:@") PATH[ch.charCodeAt(0)] = 1;
for (const ch of "/%?#") PATH[ch.charCodeAt(0)] = 2;

const HEX_UPPER = "0123456789ABCDEF";

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Index where the path of an absolute-form target (http:// or https://, any case) starts, or -1. */
function authorityStart(t: string): number {
  // "http" case-insensitively, then optional 's', then "://".
  if (t.length < 7) return -1;
  if (
    (t.charCodeAt(0) | 0x20) !== 0x68 ||
    (t.charCodeAt(1) | 0x20) !== 0x74 ||
    (t.charCodeAt(2) | 0x20) !== 0x74 ||
    (t.charCodeAt(3) | 0x20) !== 0x70
  ) {
    return -1;
  }
  let i = 4;
  if ((t.charCodeAt(i) | 0x20) === 0x73) i++;
  if (t.charCodeAt(i) !== 0x3a || t.charCodeAt(i + 1) !== SLASH || t.charCodeAt(i + 2) !== SLASH) return -1;
  return i + 3;
}

/** Is the raw segment from..to ".", "..", or one of those followed by ';' parameters? */
function isDotLike(t: string, from: number, to: number): boolean {
  if (t.charCodeAt(from) !== DOT) return false;
  const len = to - from;
  if (len === 1) return true;
  const c1 = t.charCodeAt(from + 1);
  if (c1 === SEMI) return true;
  if (c1 !== DOT) return false;
  return len === 2 || t.charCodeAt(from + 2) === SEMI;
}

// Set by normalizeSegment when it returns null. Safe: single-threaded and never re-entered.
let segmentFailure: NormalizedTarget = BAD_ESCAPE;

/** Percent-normalize and check one segment (from..to, no raw '/'). Null on failure (see segmentFailure). */
function normalizeSegment(t: string, from: number, to: number, keepSlashes: boolean): string | null {
  let out = "";
  let copied = from;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c >= 128 || PATH[c] === 0) {
      segmentFailure = BAD_CHAR;
      return null;
    }
    if (c !== PCT) continue;
    const hi = i + 2 < to ? hexVal(t.charCodeAt(i + 1)) : -1;
    const lo = hi === -1 ? -1 : hexVal(t.charCodeAt(i + 2));
    if (lo === -1) {
      segmentFailure = BAD_ESCAPE;
      return null;
    }
    const v = hi * 16 + lo;
    if (v === 0) {
      segmentFailure = ENCODED_NUL;
      return null;
    }
    if ((v === SLASH || v === 0x5c) && !keepSlashes) {
      segmentFailure = ENCODED_SLASH;
      return null;
    }
    out += t.slice(copied, i);
    out += v < 128 && UNRESERVED[v] === 1 ? String.fromCharCode(v) : `%${HEX_UPPER[hi]}${HEX_UPPER[lo]}`;
    copied = i + 3;
    i += 2;
  }
  return copied === from ? t.slice(from, to) : out + t.slice(copied, to);
}

/** Full normalization of the path t[start..end) (t[start] is '/'). */
function slowPath(t: string, start: number, end: number, opts: NormalizePathOptions): string | null {
  const keepSlashes = opts.encodedSlashes === "keep";
  const out: string[] = [];
  let endsWithDot = false;
  let segStart = start + 1;
  for (let i = segStart; i <= end; i++) {
    if (i !== end && t.charCodeAt(i) !== SLASH) continue;
    const seg = normalizeSegment(t, segStart, i, keepSlashes);
    if (seg === null) return null;
    segStart = i + 1;
    // Compared after decoding, so %2E%2E is "..".
    if (seg === ".") {
      endsWithDot = true;
    } else if (seg === "..") {
      out.pop(); // never above root
      endsWithDot = true;
    } else if (seg.charCodeAt(0) === DOT && (seg.charCodeAt(1) === SEMI || seg.startsWith("..;"))) {
      // Not a dot-segment to RFC 3986, but Tomcat/Jetty strip the parameter and then resolve it:
      // "/public/..;/admin" would match as /public/... here and be served as /admin upstream.
      segmentFailure = DOT_PARAMS;
      return null;
    } else {
      out.push(seg);
      endsWithDot = false;
    }
  }
  if (endsWithDot) out.push(""); // "/a/b/.." is "/a/", RFC 3986 §5.2.4
  if (opts.mergeSlashes) {
    let w = 0;
    const last = out.length - 1;
    for (let r = 0; r <= last; r++) if (out[r] !== "" || r === last) out[w++] = out[r];
    out.length = w;
  }
  return `/${out.join("/")}`;
}

/**
 * Normalize a request-target as received. Origin-form (`/a?b`) and absolute-form (`http://host/a?b`) only;
 * `*` and authority-form are the caller's business and fail here.
 */
export function normalizePath(rawTarget: string, opts: NormalizePathOptions): NormalizedTarget {
  const len = rawTarget.length;
  let start = 0;
  let authority = "";
  if (rawTarget.charCodeAt(0) !== SLASH) {
    const authStart = authorityStart(rawTarget);
    if (authStart === -1) return NOT_ORIGIN_FORM;
    let authEnd = authStart;
    while (authEnd < len) {
      const c = rawTarget.charCodeAt(authEnd);
      if (c === SLASH || c === QMARK || c === HASH) break;
      authEnd++;
    }
    authority = rawTarget.slice(authStart, authEnd);
    if (!isValidHost(authority)) return BAD_AUTHORITY;
    start = authEnd;
    if (start === len || rawTarget.charCodeAt(start) !== SLASH) {
      // "http://h" or "http://h?q": the path is empty, which means "/".
      if (start < len && rawTarget.charCodeAt(start) === HASH) return FRAGMENT;
      const query = start < len ? scanQuery(rawTarget, start + 1) : "";
      if (typeof query !== "string") return query;
      return { ok: true, path: "/", query, authority };
    }
  }

  // One scan: find the query, refuse bad characters, and note whether anything needs rewriting.
  let pathEnd = len;
  let needsWork = false;
  let segStart = start + 1;
  for (let i = segStart; i < len; i++) {
    const c = rawTarget.charCodeAt(i);
    if (c >= 128) return BAD_CHAR;
    const k = PATH[c];
    if (k === 1) continue;
    if (k === 0) return BAD_CHAR;
    if (c === SLASH) {
      if (i === segStart ? opts.mergeSlashes : isDotLike(rawTarget, segStart, i)) needsWork = true;
      segStart = i + 1;
    } else if (c === PCT) {
      needsWork = true;
    } else if (c === QMARK) {
      pathEnd = i;
      break;
    } else {
      return FRAGMENT;
    }
  }
  if (!needsWork && segStart < pathEnd && isDotLike(rawTarget, segStart, pathEnd)) needsWork = true;

  let query = "";
  if (pathEnd < len) {
    const q = scanQuery(rawTarget, pathEnd + 1);
    if (typeof q !== "string") return q;
    query = q;
  }
  let path: string | null;
  if (needsWork) {
    path = slowPath(rawTarget, start, pathEnd, opts);
    if (path === null) return segmentFailure;
  } else {
    path = start === 0 && pathEnd === len ? rawTarget : rawTarget.slice(start, pathEnd);
  }
  return { ok: true, path, query, authority };
}

/**
 * The query from `from` to the end, kept raw. Only what is invalid anywhere in a URI is refused (controls,
 * space, DEL, non-ASCII, '#'); browsers send `|` `{` `}` `^` raw in queries, so those pass.
 */
function scanQuery(t: string, from: number): string | typeof BAD_QUERY_CHAR {
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return BAD_QUERY_CHAR;
    if (c === HASH) return FRAGMENT;
  }
  return t.slice(from);
}
