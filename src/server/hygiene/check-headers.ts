import type { ErrorCode } from "../../errors/codes.ts";
import { isValidHost } from "./host.ts";

export { hostWithoutPort, isValidHost } from "./host.ts";

// Header hygiene for one request, in one pass over Node's rawHeaders ([name, value, name, value, ...]).
// Node's llhttp already refuses much of this on HTTP/1.1 (docs/hygiene.md has the table); what it lets
// through, and everything on HTTP/2 where values come from nghttp2, is checked here.

export interface CheckHeadersOptions {
  /** Header names containing '_': refuse, report them for dropping, or let them through. */
  readonly underscores: "reject" | "drop" | "allow";
  /** Most header fields allowed (HTTP/2 pseudo-headers not counted). */
  readonly maxHeaders: number;
  /**
   * req.httpVersion. "1.0" may omit Host and may not use Transfer-Encoding (RFC 9112 §6.1); "2.0" takes
   * :authority or host and never Transfer-Encoding; anything else gets the HTTP/1.1 rules.
   */
  readonly httpVersion: string;
  /** Set when Node's HTTP/1 parser produced these headers: it already refused control characters. */
  readonly parserCheckedValues?: boolean;
}

export type HygieneErrorCode = Extract<
  ErrorCode,
  "INVALID_HEADER" | "INVALID_HOST" | "INVALID_FRAMING" | "HEADERS_TOO_LARGE"
>;

export type HeaderCheck =
  | {
      readonly ok: true;
      /** Host (HTTP/1.x) or :authority/host (HTTP/2) as sent; "" for HTTP/1.0 without one. */
      readonly host: string;
      /** Lower-case names to remove before forwarding (underscores: "drop"), undefined when none. */
      readonly drop: readonly string[] | undefined;
    }
  | { readonly ok: false; readonly code: HygieneErrorCode; readonly detail: string };

const fail = (code: HygieneErrorCode, detail: string) => Object.freeze({ ok: false as const, code, detail });
const TOO_MANY = fail("HEADERS_TOO_LARGE", "too many header fields");
const BAD_VALUE_CHAR = fail("INVALID_HEADER", "control character in a header value");
const NO_HOST = fail("INVALID_HOST", "missing Host header");
const DUP_HOST = fail("INVALID_HOST", "more than one Host header");
const BAD_HOST = fail("INVALID_HOST", "invalid Host value");
const HOST_MISMATCH = fail("INVALID_HOST", "Host differs from :authority");
const DUP_CL = fail("INVALID_FRAMING", "more than one Content-Length");
const BAD_CL = fail("INVALID_FRAMING", "Content-Length is not a decimal number");
const DUP_TE = fail("INVALID_FRAMING", "more than one Transfer-Encoding");
const BAD_TE = fail("INVALID_FRAMING", "Transfer-Encoding other than 'chunked'");
const CL_AND_TE = fail("INVALID_FRAMING", "both Content-Length and Transfer-Encoding");
const TE_HTTP10 = fail("INVALID_FRAMING", "Transfer-Encoding in an HTTP/1.0 request");
const TE_HTTP2 = fail("INVALID_FRAMING", "Transfer-Encoding in an HTTP/2 request");

/** Case-insensitive `name === lower`, where `lower` is a lower-case literal. Length is compared first. */
function nameIs(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const l = lower.charCodeAt(i);
    const c = name.charCodeAt(i);
    // Fold case only for letters: (c | 0x20) would also map CR onto '-'.
    if (c !== l && !(l >= 0x61 && l <= 0x7a && (c | 0x20) === l)) return false;
  }
  return true;
}

/** Field values may hold HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5): no other control, no DEL. */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** 1*DIGIT, at most 15 digits so the value stays a safe integer. */
function isContentLength(v: string): boolean {
  if (v.length === 0 || v.length > 15) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Exactly "chunked", any case, optional surrounding SP/HTAB. */
function isChunkedOnly(v: string): boolean {
  let from = 0;
  let to = v.length;
  while (from < to && (v.charCodeAt(from) === 0x20 || v.charCodeAt(from) === 0x09)) from++;
  while (to > from && (v.charCodeAt(to - 1) === 0x20 || v.charCodeAt(to - 1) === 0x09)) to--;
  if (to - from !== 7) return false;
  return nameIs(from === 0 && to === v.length ? v : v.slice(from, to), "chunked");
}

/** Check one request's headers (Node's req.rawHeaders). */
export function checkHeaders(rawHeaders: readonly string[], opts: CheckHeadersOptions): HeaderCheck {
  const n = rawHeaders.length;
  const httpVersion = opts.httpVersion;
  const h2 = httpVersion.charCodeAt(0) === 0x32; // "2.0" (or a future "3")
  const h10 = !h2 && httpVersion === "1.0";
  const h1 = !h2 && opts.parserCheckedValues === true;

  // Pseudo-headers come first in HTTP/2 (nghttp2 enforces it) and do not count against the limit.
  let first = 0;
  if (h2) while (first < n && rawHeaders[first].charCodeAt(0) === 0x3a) first += 2;
  if ((n - first) / 2 > opts.maxHeaders) return TOO_MANY;

  const checkUnderscore = opts.underscores !== "allow";
  let host: string | undefined;
  let authority: string | undefined;
  let sawCL = false;
  let sawTE = false;
  let drop: string[] | undefined;

  for (let i = 0; i < n; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    // On HTTP/1.x llhttp (strict mode) has already refused every control character in a value
    // (docs/hygiene.md); HTTP/2 values come from nghttp2, which lets more through.
    if (!h1 && hasControl(value)) return BAD_VALUE_CHAR;

    // Dispatch on length first: only four names need a closer look.
    switch (name.length) {
      case 4:
        if (nameIs(name, "host")) {
          if (host !== undefined) return DUP_HOST;
          host = value;
        }
        break;
      case 10:
        if (h2 && name === ":authority") authority = value;
        break;
      case 14:
        if (nameIs(name, "content-length")) {
          if (sawCL) return DUP_CL;
          if (!isContentLength(value)) return BAD_CL;
          if (sawTE) return CL_AND_TE;
          sawCL = true;
        }
        break;
      case 17:
        if (nameIs(name, "transfer-encoding")) {
          if (h2) return TE_HTTP2;
          if (h10) return TE_HTTP10;
          if (sawTE) return DUP_TE;
          if (!isChunkedOnly(value)) return BAD_TE;
          if (sawCL) return CL_AND_TE;
          sawTE = true;
        }
        break;
    }

    if (checkUnderscore && name.indexOf("_") !== -1) {
      if (opts.underscores === "reject") return fail("INVALID_HEADER", `header name contains '_': ${name}`);
      const lower = name.toLowerCase();
      if (drop === undefined) drop = [lower];
      else if (!drop.includes(lower)) drop.push(lower);
    }
  }

  if (h2) {
    if (authority !== undefined && host !== undefined && !sameHost(authority, host)) return HOST_MISMATCH;
    host = authority ?? host;
  }
  if (host === undefined) {
    if (!h10) return NO_HOST;
    host = "";
  } else if (!isValidHost(host)) {
    return BAD_HOST;
  }
  return { ok: true, host, drop };
}

function sameHost(a: string, b: string): boolean {
  return a.length === b.length && (a === b || a.toLowerCase() === b.toLowerCase());
}
