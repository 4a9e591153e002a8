// Turns one direction's header ops into flat, lower-cased lists, refusing what the gateway must own.

import { TOKEN } from "../../pipeline/token.ts";
import { PolicyConfigError } from "../../pipeline/types.ts";
import type { HeaderOps } from "./schema.ts";

export type Direction = "request" | "response";
type Op = keyof HeaderOps;

export interface CompiledOps {
  readonly remove: readonly string[];
  readonly rename: readonly (readonly [from: string, to: string])[];
  readonly set: readonly (readonly [name: string, value: string])[];
  readonly add: readonly (readonly [name: string, value: string])[];
}

// What node:http refuses in a field value: CR, LF and NUL would split or cut the header block.
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
]);

/** Why `op` may not touch `name` in this direction, or undefined when it may. */
function refusal(direction: Direction, op: Op, name: string): string | undefined {
  if (HOP_BY_HOP.has(name)) {
    return `"${name}" is a hop-by-hop header: it describes one connection and the gateway manages it`;
  }
  if (name === "content-length") return `"content-length" frames the body; the gateway manages it`;
  if (direction === "response") {
    if (name === "host") return `"host" is a request header and has no meaning on a response`;
    return undefined;
  }
  if (name === "host" && op !== "set") {
    return `"host" can only be set on the request: the upstream needs exactly one`;
  }
  if (name === "forwarded" || name.startsWith("x-forwarded-") || name === "x-request-id") {
    return `"${name}" is set by the gateway for the upstream; neither a client nor config may strip or forge it`;
  }
  return undefined;
}

function pointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function checkName(direction: Direction, op: Op, raw: string, at: string, seen: Set<string>): string {
  if (!TOKEN.test(raw)) throw new PolicyConfigError(at, `"${raw}" is not a valid header name`);
  const name = raw.toLowerCase();
  const why = refusal(direction, op, name);
  if (why !== undefined) throw new PolicyConfigError(at, why);
  if (seen.has(name)) {
    throw new PolicyConfigError(at, `"${raw}" appears twice in ${op} (header names ignore case)`);
  }
  seen.add(name);
  return name;
}

function compileValues(
  direction: Direction,
  op: "set" | "add",
  map: Readonly<Record<string, string>> | undefined,
  path: string,
): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const [raw, value] of Object.entries(map ?? {})) {
    const at = `${path}/${op}/${pointer(raw)}`;
    const name = checkName(direction, op, raw, at, seen);
    if (BAD_VALUE.test(value)) {
      throw new PolicyConfigError(
        at,
        `the value of "${raw}" contains a control character (CR, LF, NUL...) or a character beyond Latin-1`,
      );
    }
    out.push([name, value]);
  }
  return out;
}

/** Compiles one direction's ops; undefined when there is nothing to do. Throws PolicyConfigError. */
export function compileOps(
  direction: Direction,
  ops: HeaderOps | undefined,
  path: string,
): CompiledOps | undefined {
  if (ops === undefined) return undefined;

  const remove: string[] = [];
  const removed = new Set<string>();
  (ops.remove ?? []).forEach((raw, i) => {
    remove.push(checkName(direction, "remove", raw, `${path}/remove/${i}`, removed));
  });

  const rename: [string, string][] = [];
  const sources = new Set<string>();
  const targets = new Set<string>();
  for (const [rawFrom, rawTo] of Object.entries(ops.rename ?? {})) {
    const at = `${path}/rename/${pointer(rawFrom)}`;
    const from = checkName(direction, "rename", rawFrom, at, sources);
    const to = checkName(direction, "rename", rawTo, at, new Set());
    if (from === to) throw new PolicyConfigError(at, `renaming "${rawFrom}" to itself does nothing`);
    if (removed.has(from)) {
      throw new PolicyConfigError(at, `"${rawFrom}" is removed first, so renaming it would do nothing`);
    }
    if (targets.has(to)) throw new PolicyConfigError(at, `two headers are renamed to "${rawTo}"`);
    targets.add(to);
    rename.push([from, to]);
  }
  // Renames run one after another, so a chain (a→b, b→c) would depend on key order: refuse it.
  for (const [from, to] of rename) {
    if (sources.has(to)) {
      throw new PolicyConfigError(
        `${path}/rename/${pointer(from)}`,
        `"${to}" is both renamed to and renamed from; rename each header once`,
      );
    }
  }

  const set = compileValues(direction, "set", ops.set, path);
  const add = compileValues(direction, "add", ops.add, path);
  if (remove.length + rename.length + set.length + add.length === 0) return undefined;
  return { remove, rename, set, add };
}
