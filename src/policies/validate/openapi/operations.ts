// Compiles every operation of a prepared OpenAPI document into Checks, once per plan. The whole document
// is added to each ajv instance under one id and operation schemas are compiled as references into it,
// so `#/components/...` references (recursive ones included) resolve the way the document means them
// without ever being expanded.
import type { Ajv } from "ajv";
import { createAjv } from "../ajv.ts";
import type { BodyRule, Checks, ParamCheck } from "../check.ts";
import type { BaseRules } from "../compile-schemas.ts";
import { type MediaRange, mayBeJson, parseRange, specificity } from "../media-type.ts";
import { escapeToken } from "../violations.ts";
import type { OpenApiVersion } from "./document.ts";
import { PathTable } from "./paths.ts";
import { isNode, type Node, refTokens, valueAt } from "./pointer.ts";

type Tokens = readonly string[];

// Never fetched: ajv only resolves references against what was added to it.
const DOC_ID = "https://portcullis.invalid/openapi-document";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
/** OpenAPI: header parameters with these names are ignored (other fields describe them). */
const IGNORED_HEADERS = new Set(["accept", "content-type", "authorization"]);

/** Operations of one path, by upper-case method. */
export type Operations = ReadonlyMap<string, Checks>;

function refTo(tokens: Tokens): string {
  return `${DOC_ID}#/${tokens.map((t) => encodeURIComponent(escapeToken(t))).join("/")}`;
}

class Compiler {
  readonly #doc: Node;
  readonly #params: Ajv;
  readonly #bodies: Ajv;
  readonly #base: BaseRules;

  constructor(doc: Node, version: OpenApiVersion, base: BaseRules) {
    this.#doc = doc;
    this.#base = base;
    // 3.0 schemas are converted to draft-07 by prepareDocument; 3.1 schemas are 2020-12.
    const dialect = version === "3.0" ? "draft-07" : "2020-12";
    this.#params = createAjv(dialect, { coerce: true, strict: false });
    this.#bodies = createAjv(dialect, { coerce: false, strict: false });
    this.#params.addSchema(doc, DOC_ID);
    this.#bodies.addSchema(doc, DOC_ID);
  }

  /** Follows local `$ref`s of non-schema objects (parameters, request bodies, path items). */
  resolve(value: unknown, tokens: Tokens): { value: unknown; tokens: Tokens } {
    for (let hops = 0; isNode(value) && typeof value.$ref === "string"; hops++) {
      const ref = value.$ref;
      if (!ref.startsWith("#/")) throw new Error(`$ref "${ref}" points outside the document (not supported)`);
      if (hops === 20) throw new Error(`$ref "${ref}" is part of a loop`);
      tokens = refTokens(ref);
      value = valueAt(this.#doc, tokens);
      if (value === undefined) throw new Error(`$ref "${ref}" points to nothing`);
    }
    return { value, tokens };
  }

  operation(item: Node, itemTokens: Tokens, op: Node, opTokens: Tokens): Checks {
    // Operation-level parameters override path-level ones with the same name and location.
    const byKey = new Map<string, { param: Node; tokens: Tokens }>();
    const collect = (list: unknown, tokens: Tokens) => {
      if (!Array.isArray(list)) return;
      list.forEach((raw, i) => {
        const { value, tokens: at } = this.resolve(raw, [...tokens, "parameters", String(i)]);
        if (!isNode(value) || typeof value.name !== "string" || typeof value.in !== "string") return;
        const name = value.in === "header" ? value.name.toLowerCase() : value.name;
        byKey.set(`${value.in}\0${name}`, { param: value, tokens: at });
      });
    };
    collect(item.parameters, itemTokens);
    collect(op.parameters, opTokens);

    const groups = { path: new Group(), query: new Group(), header: new Group() };
    for (const { param, tokens } of byKey.values()) {
      const location = param.in as string;
      if (location !== "path" && location !== "query" && location !== "header") continue; // cookie: not checked
      const name = location === "header" ? (param.name as string).toLowerCase() : (param.name as string);
      if (location === "header" && IGNORED_HEADERS.has(name)) continue;
      const group = groups[location];
      // A parameter described by `content` (a serialized JSON value) is only checked for presence.
      group.properties[name] = param.schema === undefined ? true : { $ref: refTo([...tokens, "schema"]) };
      if (param.required === true || location === "path") group.required.push(name);
      if (this.#isArray(param.schema, [...tokens, "schema"]))
        group.arrays.set(name, delimiter(location, param));
      group.names.push(name);
    }
    const body = this.#requestBody(op.requestBody, [...opTokens, "requestBody"]);
    const accepted: (readonly MediaRange[])[] = [];
    if (this.#base.contentTypes !== undefined) accepted.push(this.#base.contentTypes);
    if (body !== undefined && body.rules.length > 0) accepted.push(body.rules.map((r) => r.range));
    return {
      path: this.#paramCheck(groups.path),
      query: this.#paramCheck(groups.query),
      headers: this.#paramCheck(groups.header, true),
      accepted,
      bodies: body?.rules ?? [],
      requireBody: body?.required ?? false,
      maxBodyBytes: this.#base.maxBodyBytes,
    };
  }

  #isArray(schema: unknown, tokens: Tokens): boolean {
    const { value } = this.resolve(schema, tokens);
    if (!isNode(value)) return false;
    const type = value.type;
    return type === "array" || (Array.isArray(type) && type.includes("array"));
  }

  #paramCheck(group: Group, headers = false): ParamCheck | undefined {
    if (group.names.length === 0) return undefined;
    const schema = { type: "object", properties: group.properties, required: group.required };
    return {
      validate: this.#params.compile(schema),
      arrays: group.arrays,
      ...(headers ? { names: group.names } : {}),
    };
  }

  #requestBody(raw: unknown, tokens: Tokens): { rules: BodyRule[]; required: boolean } | undefined {
    if (raw === undefined) return undefined;
    const { value, tokens: at } = this.resolve(raw, tokens);
    if (!isNode(value)) return undefined;
    const content = isNode(value.content) ? value.content : {};
    const rules: BodyRule[] = [];
    for (const [key, media] of Object.entries(content)) {
      const range = parseRange(key);
      if (range === undefined)
        throw new Error(`request body media type "${key}" is not a media type or range`);
      const schemaAt = [...at, "content", key, "schema"];
      const validate =
        isNode(media) && media.schema !== undefined && mayBeJson(range)
          ? this.#bodies.compile({ $ref: refTo(schemaAt) })
          : undefined;
      rules.push({ range, validate });
    }
    rules.sort((a, b) => specificity(b.range) - specificity(a.range));
    return { rules, required: value.required === true };
  }
}

class Group {
  readonly properties: Record<string, unknown> = {};
  readonly required: string[] = [];
  readonly arrays = new Map<string, string | undefined>();
  readonly names: string[] = [];
}

/** How one value of an array parameter is split (see ArrayParams); OpenAPI 3 defaults per location. */
function delimiter(location: "path" | "query" | "header", param: Node): string | undefined {
  if (location !== "query") return ","; // simple style
  const style = typeof param.style === "string" ? param.style : "form";
  const explode = typeof param.explode === "boolean" ? param.explode : style === "form";
  if (style === "spaceDelimited") return " ";
  if (style === "pipeDelimited") return "|";
  return explode ? undefined : ",";
}

/**
 * Every operation of the document by path template. Throws an Error naming the operation when a schema
 * does not compile or a reference cannot be followed.
 */
export function compileOperations(
  doc: Node,
  version: OpenApiVersion,
  base: BaseRules,
): PathTable<Operations> {
  const compiler = new Compiler(doc, version, base);
  const table = new PathTable<Operations>();
  const paths = isNode(doc.paths) ? doc.paths : {};
  for (const [template, rawItem] of Object.entries(paths)) {
    const { value: item, tokens: itemTokens } = compiler.resolve(rawItem, ["paths", template]);
    if (!isNode(item)) continue;
    const ops = new Map<string, Checks>();
    for (const method of METHODS) {
      const op = item[method];
      if (!isNode(op)) continue;
      try {
        ops.set(method.toUpperCase(), compiler.operation(item, itemTokens, op, [...itemTokens, method]));
      } catch (err) {
        throw new Error(`${method.toUpperCase()} ${template}: ${(err as Error).message}`);
      }
    }
    table.add(template, ops);
  }
  return table;
}
