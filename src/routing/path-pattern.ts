// Parsing of `match.path` for each path type, done once at compile time. Every parser reports problems
// through `fail`, which throws a RouterConfigError naming the route.
import { compileAnchored } from "./value-match.ts";

/** Path types, numbered by specificity: a higher number wins a tie. */
export const REGEX = 0;
export const PREFIX = 1;
export const TEMPLATE = 2;
export const EXACT = 3;
export type PathKind = typeof REGEX | typeof PREFIX | typeof TEMPLATE | typeof EXACT;

export type Fail = (detail: string) => never;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkPlainPath(path: string, fail: Fail): void {
  if (!path.startsWith("/")) fail(`must start with "/" (got ${JSON.stringify(path)})`);
  if (path.includes("?") || path.includes("#")) {
    fail('must not contain "?" or "#": the query is matched with match.query');
  }
}

/** `/api/` and `/api` match the same paths, so the trailing slash is dropped (except for the root). */
export function normalizePrefix(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Segments as the matcher walks them: "/" has one empty segment, "/a/" has "a" and "". */
export function segmentsOf(path: string): string[] {
  return path.slice(1).split("/");
}

export const STATIC = 0;
export const PARAM = 1;
export const CATCH_ALL = 2;
export interface TemplateSegment {
  kind: typeof STATIC | typeof PARAM | typeof CATCH_ALL;
  /** The literal text, or the parameter name ("*" for an anonymous catch-all). */
  text: string;
}

export interface ParsedTemplate {
  segments: TemplateSegment[];
  /** In path order; a param's position here is its slot in the match-time span buffer. */
  paramNames: string[];
  /** Characters that are not part of a parameter: the tie-breaker between templates. */
  literalLength: number;
}

export function parseTemplate(path: string, fail: Fail): ParsedTemplate {
  checkPlainPath(path, fail);
  const raw = segmentsOf(path);
  const segments: TemplateSegment[] = [];
  const paramNames: string[] = [];
  let literalLength = path.length;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i];
    if (s.startsWith(":") || s.startsWith("*")) {
      const catchAll = s[0] === "*";
      const name = catchAll && s.length === 1 ? "*" : s.slice(1);
      if (name !== "*" && !PARAM_NAME.test(name)) {
        fail(`invalid parameter ${JSON.stringify(s)}: names are letters, digits and "_"`);
      }
      if (name === "__proto__") fail('"__proto__" cannot be a parameter name');
      if (catchAll && i !== raw.length - 1) fail(`catch-all ${JSON.stringify(s)} must be the last segment`);
      if (paramNames.includes(name)) fail(`duplicated parameter name "${name}"`);
      paramNames.push(name);
      segments.push({ kind: catchAll ? CATCH_ALL : PARAM, text: name });
      literalLength -= s.length;
    } else {
      segments.push({ kind: STATIC, text: s });
    }
  }
  return { segments, paramNames, literalLength };
}

export interface ParsedRegex {
  re: RegExp;
  /** Leading text every match must start with; a cheap filter before running the regex. */
  literal: string;
  /** First path segment when `literal` pins it down (e.g. "/v2/..." → "v2"), else null. */
  firstSegment: string | null;
  groupCount: number;
  groupNames: string[];
}

const SYNTAX = "\\^$.|?*+()[]{}";
const QUANTIFIER = "?*+{";

/** The literal head of a regex source: stops at the first metacharacter; `|` anywhere disables it. */
export function literalHead(source: string): string {
  if (source.includes("|")) return "";
  let out = "";
  let i = source[0] === "^" ? 1 : 0;
  for (; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1];
      // Only identity escapes of syntax characters are literal; \d, \w, \u{..} are not.
      if (next !== undefined && (SYNTAX.includes(next) || next === "/" || next === "-")) {
        const after = source[i + 2];
        if (after !== undefined && QUANTIFIER.includes(after)) return out;
        out += next;
        i++;
        continue;
      }
      return out;
    }
    if (SYNTAX.includes(c)) {
      // The char before a quantifier is optional or repeated: it is not part of the literal.
      return QUANTIFIER.includes(c) ? out.slice(0, -1) : out;
    }
    out += c;
  }
  return out;
}

export function parseRegex(source: string, fail: Fail): ParsedRegex {
  let re: RegExp;
  try {
    re = compileAnchored(source);
  } catch (err) {
    fail(`invalid regex: ${(err as Error).message}`);
  }
  // The empty alternative always matches, which reveals the group count and names.
  const probe = new RegExp(`${re.source}|`, "u").exec("")!;
  const groupNames = Object.keys(probe.groups ?? {});
  if (groupNames.includes("__proto__")) fail('"__proto__" cannot be a group name');
  const literal = literalHead(source);
  const slash = literal.indexOf("/", 1);
  const firstSegment = literal.startsWith("/") && slash > 0 ? literal.slice(1, slash) : null;
  return { re, literal, firstSegment, groupCount: probe.length - 1, groupNames };
}
