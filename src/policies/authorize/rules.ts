// Local authorization: compiled rules checked against the request's identity. Returns why a request is
// refused, or undefined when every rule that applies holds.
import type { Identity } from "../../pipeline/types.ts";
import type { AuthorizeOptions, AuthorizeRule } from "./schema.ts";

type Scalar = string | number | boolean;

export interface CompiledRule {
  readonly methods: ReadonlySet<string> | undefined;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly claims: readonly (readonly [name: string, accepted: readonly Scalar[]])[];
}

export type Refusal = { kind: "scope"; missing: string[] } | { kind: "other"; detail: string };

export function compileRules(rules: readonly AuthorizeRule[] | undefined): CompiledRule[] {
  return (rules ?? []).map((r) => ({
    // The router serves HEAD on GET routes, so a rule about GET covers HEAD too (else HEAD would slip by).
    methods:
      r.methods === undefined
        ? undefined
        : new Set(r.methods.includes("GET") ? [...r.methods, "HEAD"] : r.methods),
    scopes: r.scopes ?? [],
    groups: r.groups ?? [],
    claims: Object.entries(r.claims ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const),
  }));
}

export function checkRules(
  rules: readonly CompiledRule[],
  method: string,
  id: Identity,
): Refusal | undefined {
  for (const r of rules) {
    if (r.methods !== undefined && !r.methods.has(method)) continue;
    const missing = r.scopes.filter((s) => !id.scopes.has(s));
    if (missing.length > 0) return { kind: "scope", missing };
    if (r.groups.length > 0 && !r.groups.some((g) => id.groups.has(g))) {
      return { kind: "other", detail: "not a member of a required group" };
    }
    for (const [name, accepted] of r.claims) {
      if (!claimMatches(id.claims[name], accepted))
        return { kind: "other", detail: `claim ${name} not allowed` };
    }
  }
  return undefined;
}

function claimMatches(value: unknown, accepted: readonly Scalar[]): boolean {
  if (Array.isArray(value)) return value.some((v) => accepted.includes(v as Scalar));
  return accepted.includes(value as Scalar);
}

export function checkConsumers(c: AuthorizeOptions["consumers"], id: Identity): string | undefined {
  if (c === undefined) return undefined;
  const name = id.consumer?.name;
  if (name !== undefined && c.deny?.includes(name)) return "consumer not allowed";
  if (c.allow !== undefined && (name === undefined || !c.allow.includes(name))) return "consumer not allowed";
  return undefined;
}
