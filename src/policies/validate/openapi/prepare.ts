// Turns a document's Schema Objects into what ajv validates the same way the OpenAPI version means them,
// on a private copy. OpenAPI 3.0 schemas are a JSON Schema dialect of their own: `nullable` instead of a
// "null" type, and draft-04 boolean `exclusiveMinimum`/`exclusiveMaximum`. In both versions a required
// property marked readOnly is required in responses only, and requests are all this policy sees.
import { escapeToken } from "../violations.ts";
import type { OpenApiVersion } from "./document.ts";
import { isNode, type Node, refTokens, valueAt } from "./pointer.ts";

// Keys whose values map names (property names, schema names) to schemas: none of those names is a keyword.
const NAME_MAPS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
  "schemas",
]);
// Values, not schemas: an example may well contain `nullable: true` and must be left as written.
const VALUES = new Set(["example", "examples", "default", "enum", "const"]);

/** `seen`: YAML anchors can make one node appear twice, or even inside itself. */
function walk(value: unknown, names: boolean, fix: (node: Node) => void, seen = new WeakSet<object>()): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) walk(item, false, fix, seen);
    return;
  }
  const node = value as Node;
  if (!names) fix(node);
  for (const key of Object.keys(node)) {
    if (!names && (VALUES.has(key) || key.startsWith("x-"))) continue;
    walk(node[key], !names && NAME_MAPS.has(key), fix, seen);
  }
}

function fixExclusive(
  node: Node,
  exclusive: "exclusiveMinimum" | "exclusiveMaximum",
  limit: "minimum" | "maximum",
): void {
  if (typeof node[exclusive] !== "boolean") return;
  if (node[exclusive] === true && typeof node[limit] === "number") {
    node[exclusive] = node[limit];
    delete node[limit];
  } else delete node[exclusive];
}

function fixNullable(node: Node): void {
  if (typeof node.nullable !== "boolean") return;
  const nullable = node.nullable;
  delete node.nullable;
  if (!nullable) return;
  if (typeof node.type === "string") {
    node.type = [node.type, "null"];
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  } else if (node.type === undefined) {
    // No type to widen (allOf, $ref...): null or whatever the rest allows.
    const rest: Node = { ...node };
    for (const key of Object.keys(node)) delete node[key];
    node.anyOf = [rest, { type: "null" }];
  }
}

/** The value a local "#/..." pointer designates, or undefined. */
function atPointer(root: unknown, ref: string): unknown {
  return ref.startsWith("#/") ? valueAt(root, refTokens(ref)) : undefined;
}

function readOnly(root: Node, schema: unknown): boolean {
  if (!isNode(schema)) return false;
  if (schema.readOnly === true) return true;
  const target = typeof schema.$ref === "string" ? atPointer(root, schema.$ref) : undefined;
  return isNode(target) && target.readOnly === true;
}

function dropReadOnlyRequired(root: Node, node: Node): void {
  const { required, properties } = node;
  if (!Array.isArray(required) || !isNode(properties)) return;
  const kept = required.filter((name) => !readOnly(root, properties[String(name)]));
  if (kept.length !== required.length) node.required = kept;
}

/**
 * The first `$ref` that leaves the document ("other.yaml#/Pet", "https://..."), with where it is, or
 * undefined. The gateway reads one file: a split document has to be bundled first.
 */
export function externalRef(
  value: unknown,
  pointer = "",
  seen = new WeakSet<object>(),
): { ref: string; pointer: string } | undefined {
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value).filter(([key]) => !VALUES.has(key) && !key.startsWith("x-"));
  const ref = (value as Node).$ref;
  if (typeof ref === "string" && !ref.startsWith("#")) return { ref, pointer };
  for (const [key, child] of entries) {
    const found = externalRef(child, `${pointer}/${escapeToken(key)}`, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A prepared copy of the document; the original is left alone. */
export function prepareDocument(doc: Node, version: OpenApiVersion): Node {
  const copy = structuredClone(doc);
  walk(copy, false, (node) => {
    if (version === "3.0") {
      fixExclusive(node, "exclusiveMinimum", "minimum");
      fixExclusive(node, "exclusiveMaximum", "maximum");
      fixNullable(node);
    } else if (
      typeof node.$schema === "string" &&
      node.$schema.startsWith("https://spec.openapis.org/oas/")
    ) {
      // The OAS dialect is 2020-12 plus annotations; ajv knows it by the 2020-12 name only.
      delete node.$schema;
    }
    dropReadOnlyRequired(copy, node);
  });
  return copy;
}
