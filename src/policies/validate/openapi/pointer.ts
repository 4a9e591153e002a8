// Local JSON Pointer references ("#/components/schemas/Pet") into a parsed document (RFC 6901, in a URI
// fragment: percent-encoded, then "~1" for "/" and "~0" for "~").

export type Node = Record<string, unknown>;

export function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The unescaped tokens of a reference that starts with "#/". */
export function refTokens(ref: string): string[] {
  return ref
    .slice(2)
    .split("/")
    .map((t) => decodeURIComponent(t).replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The value the tokens lead to from `root`, or undefined. */
export function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let node = root;
  for (const token of tokens) {
    if (!isNode(node) && !Array.isArray(node)) return undefined;
    node = (node as Node)[token];
  }
  return node;
}
