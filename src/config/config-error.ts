// What every stage of the config pipeline reports: an issue tied to a JSON pointer and to the line:column
// of the YAML node it names, so that later stages (router and policy compile) can report their own
// findings in the same form without knowing YAML.
import path from "node:path";
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from "yaml";

export interface ConfigIssue {
  file: string;
  /** JSON pointer into the document, e.g. /routes/3/match/path ("" is the whole document). */
  path: string;
  line: number;
  column: number;
  message: string;
}

/** The parsed document kept next to the config so a pointer can still be mapped to a line. */
export interface ConfigSource {
  /** The file name as given (used in messages). */
  file: string;
  /** Absolute directory that relative paths in the config are resolved against. */
  dir: string;
  doc: Document;
  lineCounter: LineCounter;
}

export function createSource(file: string, doc: Document, lineCounter: LineCounter): ConfigSource {
  return { file, dir: path.dirname(path.resolve(file)), doc, lineCounter };
}

export function escapePointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * Line and column (both 1-based) of the node a pointer names. A missing node falls back to its nearest
 * existing ancestor. A map entry whose value is a collection or empty is reported at its key (that is the
 * line a reader looks for); `at: "key"` always reports the key, which is what "unknown key" wants.
 */
export function locate(
  source: ConfigSource,
  pointer: string,
  at: "value" | "key" = "value",
): { line: number; column: number } {
  const { doc } = source;
  let node: unknown = doc.contents;
  let keyNode: unknown = null;
  for (const token of pointerTokens(pointer)) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKey: unknown = null;
    let found = false;
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (String(k) === token) {
          next = pair.value;
          nextKey = pair.key;
          found = true;
          break;
        }
      }
    } else if (isSeq(node) && /^(0|[1-9]\d*)$/.test(token) && Number(token) < node.items.length) {
      next = node.items[Number(token)];
      found = true;
    }
    if (!found) break;
    node = next;
    keyNode = nextKey;
  }
  const preferKey =
    keyNode !== null && (at === "key" || node == null || isCollection(node) || isEmptyScalar(node));
  return position(source, preferKey ? keyNode : node);
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && !node.source;
}

function position(source: ConfigSource, node: unknown): { line: number; column: number } {
  const range = (node as Node | null)?.range;
  if (!range) return { line: 1, column: 1 };
  const { line, col } = source.lineCounter.linePos(range[0]);
  return { line, column: col };
}

export function issueAt(
  source: ConfigSource,
  pointer: string,
  message: string,
  at: "value" | "key" = "value",
): ConfigIssue {
  return { file: source.file, path: pointer, ...locate(source, pointer, at), message };
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.toSorted((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

/** One issue per line, the way compilers print them: `FILE:LINE:COL  /json/pointer  message`. */
export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.file}:${i.line}:${i.column}  ${i.path || "/"}  ${i.message}`).join("\n");
}

/** For callers that prefer to throw: the message is the formatted issue list. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const n = issues.length;
    super(`invalid configuration (${n} issue${n === 1 ? "" : "s"}):\n${formatIssues(issues)}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}
