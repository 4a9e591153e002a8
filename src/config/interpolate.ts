// `${NAME}` / `${NAME:-default}` substitution on the parsed YAML tree. Working on scalars rather than on
// the raw text means a variable's value can never add keys, lists or anchors: it is always one string.
import { isAlias, isMap, isScalar, isSeq, type Scalar } from "yaml";
import { type ConfigIssue, type ConfigSource, escapePointerToken, issueAt } from "./config-error.ts";

export type Env = Record<string, string | undefined>;
type JsonSchema = { readonly [keyword: string]: unknown };

export interface Expansion {
  value: string;
  /** Names referenced without a default whose variable is not set. */
  unset: string[];
  /** Malformed references (unterminated, bad name, unsupported operator). */
  errors: string[];
  /** True when the text is exactly one reference and nothing else, e.g. "${PORT}". */
  whole: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /\$\$\{|\$\{/g;

export function expandString(text: string, env: Env): Expansion {
  const out: Expansion = { value: "", unset: [], errors: [], whole: false };
  let last = 0;
  let references = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    out.value += text.slice(last, m.index);
    if (m[0] === "$${") {
      out.value += "${";
      last = TOKEN.lastIndex;
      continue;
    }
    const close = text.indexOf("}", TOKEN.lastIndex);
    if (close === -1) {
      out.errors.push(`unterminated "\${" (write "$\${" for a literal "\${")`);
      last = text.length;
      break;
    }
    references++;
    const body = text.slice(TOKEN.lastIndex, close);
    last = TOKEN.lastIndex = close + 1;
    const sep = body.indexOf(":-");
    const name = sep === -1 ? body : body.slice(0, sep);
    const fallback = sep === -1 ? undefined : body.slice(sep + 2);
    if (!NAME.test(name)) {
      out.errors.push(
        `"\${${body}}" is not a variable reference: use \${NAME} or \${NAME:-default}, where NAME is letters, digits and _`,
      );
      continue;
    }
    if (fallback?.includes("${")) {
      out.errors.push(`"\${${body}}...": a default cannot contain another \${...} reference`);
      continue;
    }
    const value = env[name];
    if (value !== undefined && (value !== "" || fallback === undefined)) out.value += value;
    else if (fallback !== undefined) out.value += fallback;
    else out.unset.push(name);
  }
  out.value += text.slice(last);
  out.whole = references === 1 && /^\$\{[^}]*\}$/.test(text);
  return out;
}

export interface InterpolationResult {
  issues: ConfigIssue[];
  /** Pointers of scalars that could not be expanded; later stages skip findings about them. */
  failed: string[];
}

/**
 * Expands every string value (not keys) of the document in place. A value that is exactly one reference
 * is converted to an integer, number or boolean when the schema wants that type at its position, so
 * `port: ${PORT}` works; anything else stays a string and the schema judges it.
 */
export function interpolateDocument(source: ConfigSource, env: Env, schema: object): InterpolationResult {
  const result: InterpolationResult = { issues: [], failed: [] };
  const fail = (pointer: string, message: string) => {
    result.issues.push(issueAt(source, pointer, message));
    if (result.failed.at(-1) !== pointer) result.failed.push(pointer);
  };
  const walk = (node: unknown, tokens: (string | number)[]): void => {
    if (isAlias(node)) return; // its anchor is expanded where it is defined
    if (isMap(node)) {
      for (const pair of node.items) {
        tokens.push(String(isScalar(pair.key) ? pair.key.value : pair.key));
        walk(pair.value, tokens);
        tokens.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        tokens.push(i);
        walk(item, tokens);
        tokens.pop();
      });
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("${")) {
      expandScalar(node as Scalar<unknown>, root, tokens, env, fail);
    }
  };
  const root = schema as JsonSchema;
  walk(source.doc.contents, []);
  return result;
}

function expandScalar(
  node: Scalar<unknown>,
  schema: JsonSchema,
  tokens: (string | number)[],
  env: Env,
  fail: (pointer: string, message: string) => void,
): void {
  const pointer = tokens.map((t) => `/${escapePointerToken(String(t))}`).join("");
  const original = node.value as string;
  const x = expandString(original, env);
  for (const message of x.errors) fail(pointer, message);
  for (const name of x.unset) {
    fail(pointer, `environment variable ${name} is not set (give a default with \${${name}:-value})`);
  }
  if (x.errors.length > 0 || x.unset.length > 0) {
    node.value = "";
    return;
  }
  node.value = x.value;
  if (!x.whole) return;
  const wanted = scalarTypes(schemasAt(schema, tokens));
  if (wanted === null || wanted.has("string")) return;
  for (const type of ["integer", "number", "boolean"] as const) {
    if (!wanted.has(type)) continue;
    const converted = convert(x.value, type);
    if (converted !== undefined) {
      node.value = converted;
      return;
    }
  }
  const expected = [...wanted].filter((t) => t !== "null").join(" or ");
  fail(pointer, `${original} expands to ${JSON.stringify(x.value)}, which is not ${article(expected)}`);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function convert(text: string, type: "integer" | "number" | "boolean"): number | boolean | undefined {
  const t = text.trim();
  if (type === "boolean") return /^true$/i.test(t) ? true : /^false$/i.test(t) ? false : undefined;
  if (type === "integer") {
    if (!/^[+-]?\d+$/.test(t)) return undefined;
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function schemasAt(schema: JsonSchema, tokens: (string | number)[]): JsonSchema[] {
  let schemas = [schema];
  for (const token of tokens) {
    schemas = typeof token === "number" ? itemSchemas(schemas, token) : propertySchemas(schemas, token);
  }
  return schemas;
}

/** The schemas that may apply at a position, with unions flattened into their branches. */
function flatten(schemas: JsonSchema[]): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (s: unknown) => {
    if (typeof s !== "object" || s === null) return;
    const schema = s as JsonSchema;
    out.push(schema);
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      const branches = schema[k];
      if (Array.isArray(branches)) branches.forEach(add);
    }
  };
  schemas.forEach(add);
  return out;
}

function propertySchemas(schemas: JsonSchema[], key: string): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const s of flatten(schemas)) {
    const props = s.properties as Record<string, JsonSchema> | undefined;
    if (props && Object.hasOwn(props, key)) {
      out.push(props[key]);
      continue;
    }
    const patterns = s.patternProperties as Record<string, JsonSchema> | undefined;
    let matched = false;
    for (const [pattern, sub] of Object.entries(patterns ?? {})) {
      if (new RegExp(pattern, "u").test(key)) {
        out.push(sub);
        matched = true;
      }
    }
    if (!matched && typeof s.additionalProperties === "object")
      out.push(s.additionalProperties as JsonSchema);
  }
  return out;
}

function itemSchemas(schemas: JsonSchema[], index: number): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const s of flatten(schemas)) {
    const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : null;
    if (tuple && index < tuple.length) out.push(tuple[index] as JsonSchema);
    else if (!Array.isArray(s.items) && typeof s.items === "object" && s.items !== null) {
      out.push(s.items as JsonSchema);
    }
  }
  return out;
}

/** The JSON types the schema accepts here, or null when it does not say (then nothing is converted). */
function scalarTypes(schemas: JsonSchema[]): Set<string> | null {
  const types = new Set<string>();
  const leaves = flatten(schemas).filter((s) => !s.anyOf && !s.oneOf && !s.allOf);
  if (leaves.length === 0) return null;
  for (const s of leaves) {
    if (typeof s.type === "string") types.add(s.type);
    else if (Array.isArray(s.type)) for (const t of s.type) types.add(String(t));
    else if ("const" in s) types.add(typeof s.const === "number" ? "number" : typeof s.const);
    else return null;
  }
  return types;
}
