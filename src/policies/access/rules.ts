// Path and method rules, compiled once: the first rule whose conditions all hold decides.

import { TOKEN } from "../../pipeline/token.ts";
import { PolicyConfigError } from "../../pipeline/types.ts";
import { normalizePath } from "../../server/hygiene/normalize-path.ts";
import { INVALID } from "./address.ts";
import { compileCidrs } from "./compile-cidrs.ts";
import type { IpSet } from "./ip-set.ts";
import { pathReadings } from "./path-readings.ts";
import type { AccessRule } from "./schema.ts";

export interface CompiledRule {
  /** Without a trailing slash (except "/" itself); lower case when caseInsensitive. Undefined: any path. */
  readonly path: string | undefined;
  readonly prefix: boolean;
  readonly caseInsensitive: boolean;
  /** Upper case; holds HEAD when GET is listed. Undefined: any method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly cidrs: IpSet | undefined;
  readonly except: IpSet | undefined;
  readonly deny: boolean;
}

const SLASH = 0x2f;

function compilePath(raw: string, at: string): string {
  if (raw[0] !== "/") throw new PolicyConfigError(at, `"${raw}" must start with "/"`);
  if (raw.includes(";")) {
    throw new PolicyConfigError(
      at,
      `"${raw}": ';' parameters are not part of the path an access rule compares (they are cut off before matching)`,
    );
  }
  const n = normalizePath(raw, { encodedSlashes: "reject", mergeSlashes: true });
  if (!n.ok) throw new PolicyConfigError(at, `"${raw}" is not a valid path: ${n.reason}`);
  if (n.query !== "" || raw.includes("?"))
    throw new PolicyConfigError(at, `"${raw}": a rule path has no query`);
  if (n.path !== raw) {
    // Requests are compared after normalization, so any other spelling could never match.
    throw new PolicyConfigError(at, `"${raw}" is not in normalized form; write "${n.path}"`);
  }
  return raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw;
}

function compileRule(rule: AccessRule, at: string): CompiledRule {
  if (rule.action !== "allow" && rule.action !== "deny") {
    throw new PolicyConfigError(`${at}/action`, 'action is "allow" or "deny"');
  }
  if (rule.path !== undefined && rule.pathPrefix !== undefined) {
    throw new PolicyConfigError(at, "give path or pathPrefix, not both");
  }
  const caseInsensitive = rule.caseInsensitive === true;
  let path: string | undefined;
  const prefix = rule.pathPrefix !== undefined;
  if (rule.path !== undefined) path = compilePath(rule.path, `${at}/path`);
  if (rule.pathPrefix !== undefined) {
    path = compilePath(rule.pathPrefix, `${at}/pathPrefix`);
    if (path === "/") path = undefined; // every path
  }
  if (caseInsensitive && path === undefined) {
    throw new PolicyConfigError(
      `${at}/caseInsensitive`,
      "caseInsensitive needs a path or pathPrefix other than /",
    );
  }
  if (caseInsensitive && path !== undefined) path = path.toLowerCase();

  let methods: Set<string> | undefined;
  if (rule.methods !== undefined) {
    methods = new Set();
    for (const [j, raw] of rule.methods.entries()) {
      if (!TOKEN.test(raw))
        throw new PolicyConfigError(`${at}/methods/${j}`, `"${raw}" is not a method name`);
      methods.add(raw.toUpperCase());
    }
    // HEAD is GET without the body: a rule on GET that let HEAD through would still reveal the resource.
    if (methods.has("GET")) methods.add("HEAD");
  }
  return {
    path,
    prefix,
    caseInsensitive,
    methods,
    cidrs: rule.cidrs === undefined ? undefined : compileCidrs(rule.cidrs, `${at}/cidrs`),
    except: rule.except === undefined ? undefined : compileCidrs(rule.except.cidrs, `${at}/except/cidrs`),
    deny: rule.action === "deny",
  };
}

export function compileRules(rules: readonly AccessRule[], at: string): CompiledRule[] {
  const out = rules.map((rule, i) => compileRule(rule, `${at}/${i}`));
  const last = out.findIndex(
    (r) => r.path === undefined && r.methods === undefined && r.cidrs === undefined && r.except === undefined,
  );
  if (last !== -1 && last < out.length - 1) {
    throw new PolicyConfigError(
      `${at}/${last + 1}`,
      `this rule never runs: rule ${last} has no condition, so it decides every request`,
    );
  }
  return out;
}

function matchesOne(rule: CompiledRule, p: string, key: string): boolean {
  if (rule.prefix)
    return key.startsWith(p) && (key.length === p.length || key.charCodeAt(p.length) === SLASH);
  // Exact, but a trailing slash is the same resource to most upstreams.
  return (
    key === p || (key.length === p.length + 1 && key.charCodeAt(p.length) === SLASH && key.startsWith(p))
  );
}

/** A deny rule matches when any reading of the path does, an allow rule only when every reading does. */
function pathMatches(
  rule: CompiledRule,
  p: string,
  path: string,
  readings: readonly string[] | undefined,
): boolean {
  if (readings === undefined) return matchesOne(rule, p, path);
  if (rule.deny) return readings.some((k) => matchesOne(rule, p, k));
  return readings.every((k) => matchesOne(rule, p, k));
}

/**
 * True when the first matching rule denies. `address` is what parseAddress returned; an unknown address
 * (INVALID) is read the worst way: listed for a deny rule's `cidrs`, unlisted for its `except`, and the
 * reverse for an allow rule.
 */
export function rulesDeny(
  rules: readonly CompiledRule[],
  method: string,
  path: string,
  address: number,
): boolean {
  let readings: readonly string[] | undefined | null = null;
  let lowerPath: string | null = null;
  let lowerReadings: readonly string[] | undefined;
  for (const rule of rules) {
    if (rule.methods !== undefined && !rule.methods.has(method)) continue;
    const p = rule.path;
    if (p !== undefined) {
      if (readings === null) readings = pathReadings(path);
      if (rule.caseInsensitive) {
        if (lowerPath === null) {
          lowerPath = path.toLowerCase();
          lowerReadings = readings?.map((r) => r.toLowerCase());
        }
        if (!pathMatches(rule, p, lowerPath, lowerReadings)) continue;
      } else if (!pathMatches(rule, p, path, readings)) continue;
    }
    if (rule.cidrs !== undefined && (address === INVALID ? !rule.deny : !rule.cidrs.has(address))) continue;
    if (rule.except !== undefined && (address === INVALID ? !rule.deny : rule.except.has(address))) continue;
    return rule.deny;
  }
  return false;
}
