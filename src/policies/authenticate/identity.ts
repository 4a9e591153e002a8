// Turns what a method verified into the request's Identity: subject, consumer, scopes and groups.
import type { Consumer, Identity } from "../../pipeline/types.ts";

const NONE: ReadonlySet<string> = Object.freeze(new Set<string>()) as ReadonlySet<string>;
const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({});

export interface ClaimNames {
  readonly scopes: string | undefined;
  readonly groups: string;
}

/** A space-separated string (OAuth `scope`) or a list of strings (`scp`, `groups`). */
export function stringSet(value: unknown): ReadonlySet<string> {
  if (typeof value === "string") return new Set(value.split(" ").filter((s) => s !== ""));
  if (Array.isArray(value)) return new Set(value.filter((s): s is string => typeof s === "string"));
  return NONE;
}

export function identityOf(
  method: string,
  subject: string,
  consumer: Consumer | undefined,
  claims: Readonly<Record<string, unknown>> = NO_CLAIMS,
  names?: ClaimNames,
): Identity {
  const scopes =
    names === undefined
      ? NONE
      : names.scopes !== undefined
        ? stringSet(claims[names.scopes])
        : stringSet(claims.scope ?? claims.scp);
  const tokenGroups = names === undefined ? NONE : stringSet(claims[names.groups]);
  let groups: ReadonlySet<string> = tokenGroups;
  if (consumer !== undefined && consumer.groups.length > 0)
    groups = new Set([...consumer.groups, ...tokenGroups]);
  return Object.freeze({ method, subject, consumer, claims, scopes, groups });
}
