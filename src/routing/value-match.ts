// Header and query matchers, compiled once per route. A value matches when any of its values
// matches (repeated headers arrive as arrays, repeated query keys as several entries).
import type { RouteConfig } from "../config/schema.ts";

export type ValueMatchConfig = NonNullable<RouteConfig["match"]["headers"]>[string];

const EXACT = 0;
const REGEX = 1;
const PRESENT = 2;
const ABSENT = 3;

export interface ValueMatcher {
  readonly name: string;
  readonly kind: 0 | 1 | 2 | 3;
  readonly value: string;
  readonly re: RegExp | null;
}

/** Anchored, Unicode-aware; `u` rather than `v` so that common classes like `[\w-]` keep working. */
export function compileAnchored(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, "u");
}

/**
 * @param fail called with the offending key and a reason; must throw.
 * @returns null when there is nothing to match, so the hot path can skip with one check.
 */
export function compileValueMatchers(
  record: Record<string, ValueMatchConfig> | undefined,
  lowerCaseNames: boolean,
  fail: (key: string, detail: string) => never,
): ValueMatcher[] | null {
  if (record === undefined) return null;
  const out: ValueMatcher[] = [];
  for (const [key, spec] of Object.entries(record)) {
    const name = lowerCaseNames ? key.toLowerCase() : key;
    if (typeof spec === "string") {
      out.push({ name, kind: EXACT, value: spec, re: null });
      continue;
    }
    const keys = Object.keys(spec ?? {});
    if (keys.length !== 1) fail(key, "needs exactly one of exact, regex or present");
    if (spec.exact !== undefined) {
      out.push({ name, kind: EXACT, value: spec.exact, re: null });
    } else if (spec.regex !== undefined) {
      let re: RegExp;
      try {
        re = compileAnchored(spec.regex);
      } catch (err) {
        fail(key, `invalid regex: ${(err as Error).message}`);
      }
      out.push({ name, kind: REGEX, value: spec.regex, re });
    } else if (spec.present !== undefined) {
      out.push({ name, kind: spec.present ? PRESENT : ABSENT, value: "", re: null });
    } else {
      fail(key, "needs exactly one of exact, regex or present");
    }
  }
  return out.length === 0 ? null : out;
}

function valueOk(m: ValueMatcher, v: string): boolean {
  return m.kind === EXACT ? v === m.value : m.re!.test(v);
}

export function headersMatch(
  matchers: readonly ValueMatcher[],
  headers: Record<string, string | string[] | undefined>,
): boolean {
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i];
    const v = headers[m.name];
    // Anything but a string or an array (e.g. an inherited Object.prototype member) counts as absent.
    const isArr = Array.isArray(v);
    const present = typeof v === "string" || (isArr && v.length > 0);
    if (m.kind === PRESENT || m.kind === ABSENT) {
      if (present !== (m.kind === PRESENT)) return false;
      continue;
    }
    if (!present) return false;
    if (!isArr) {
      if (!valueOk(m, v as string)) return false;
      continue;
    }
    let any = false;
    for (let j = 0; j < v.length; j++) {
      if (valueOk(m, v[j])) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

export function queryMatches(matchers: readonly ValueMatcher[], query: URLSearchParams): boolean {
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i];
    if (m.kind === PRESENT || m.kind === ABSENT) {
      if (query.has(m.name) !== (m.kind === PRESENT)) return false;
      continue;
    }
    const values = query.getAll(m.name);
    let any = false;
    for (let j = 0; j < values.length; j++) {
      if (valueOk(m, values[j])) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}
