// The gateway forwards the normalized path as is, but an upstream may read it differently from the way
// the gateway matched it: servlet containers cut ";parameters" off each segment, some servers decode %2F
// or %5C into a separator (when `hygiene.encodedSlashes` is `keep`) or %3B into ';', and most merge "//"
// (when `hygiene.mergeSlashes` is off). An access rule must hold for every such reading: the rules engine
// applies a deny rule when any reading matches it and an allow rule only when all of them do.

const SLASH = 0x2f;
const SEMI = 0x3b;
const PCT = 0x25;

/** True when some upstream could read the path differently: ';', '//', or an escaped '/', '\' or ';'. */
export function isAmbiguous(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === SEMI) return true;
    if (c === SLASH && path.charCodeAt(i + 1) === SLASH) return true;
    if (c === PCT && (isSlashEscape(path, i) || isSemiEscape(path, i))) return true;
  }
  return false;
}

/** '%' at i starts %3B (any case)? */
function isSemiEscape(path: string, i: number): boolean {
  return path.charCodeAt(i + 1) === 0x33 && (path.charCodeAt(i + 2) | 0x20) === 0x62;
}

/** '%' at i starts %2F or %5C (any case)? */
function isSlashEscape(path: string, i: number): boolean {
  const hi = path.charCodeAt(i + 1);
  const lo = path.charCodeAt(i + 2) | 0x20;
  return (hi === 0x32 && lo === 0x66) || (hi === 0x35 && lo === 0x63);
}

/** Adds path[from..to) to the resolved segments as RFC 3986 §5.2.4 would; empty segments are dropped. */
function push(out: string[], path: string, from: number, to: number): void {
  const len = to - from;
  if (len === 0) return;
  if (path.charCodeAt(from) === 0x2e) {
    if (len === 1) return;
    if (len === 2 && path.charCodeAt(from + 1) === 0x2e) {
      out.pop(); // never above the root
      return;
    }
  }
  out.push(path.slice(from, to));
}

/**
 * One reading in one pass. With `decodeFirst`, %2F, %5C and %3B are decoded before ';' parameters are cut
 * (a parameter ends at any separator); without it, parameters are cut at raw '/' first and only then are
 * %2F and %5C decoded into separators (Tomcat's order).
 */
function reading(path: string, decodeFirst: boolean): string {
  const out: string[] = [];
  const len = path.length;
  let segStart = 0;
  let paramAt = -1;
  for (let i = 0; i <= len; i++) {
    let sepLen = 0;
    if (i === len) sepLen = 1;
    else {
      const c = path.charCodeAt(i);
      if (c === SLASH) sepLen = 1;
      else if (c === PCT) {
        if (isSlashEscape(path, i) && (decodeFirst || paramAt === -1)) sepLen = 3;
        else if (decodeFirst && isSemiEscape(path, i) && paramAt === -1) paramAt = i;
      } else if (c === SEMI && paramAt === -1) paramAt = i;
    }
    if (sepLen === 0) continue;
    push(out, path, segStart, paramAt === -1 ? i : paramAt);
    paramAt = -1;
    segStart = i + sepLen;
    i += sepLen - 1;
  }
  return `/${out.join("/")}`;
}

/** Parameters cut off at each raw segment first, then escaped separators decoded (Tomcat's order). */
export function strippedThenDecoded(path: string): string {
  return reading(path, false);
}

/** Escaped separators and ';' decoded first, then parameters cut off (a decode-first server's order). */
export function decodedThenStripped(path: string): string {
  return reading(path, true);
}

/**
 * Every reading of `path`: the path itself first, then the distinct other readings. Undefined when the
 * path reads only one way, which is the common case and costs one scan.
 */
export function pathReadings(path: string): readonly string[] | undefined {
  if (!isAmbiguous(path)) return undefined;
  const a = reading(path, false);
  const b = reading(path, true);
  if (a === path) return b === path ? [path] : [path, b];
  return b === a || b === path ? [path, a] : [path, a, b];
}
