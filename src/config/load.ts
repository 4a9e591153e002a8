// load: YAML text → a validated Config, or every issue found, each with file:line:column.
// YAML 1.2 core schema: `yes`/`no` are strings, merge keys (`<<`) are not supported (YAML 1.2 dropped
// them and they hide where a value comes from); duplicate keys are errors, not "last one wins".
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CORE_SCHEMA, load as fastParse } from "js-yaml";
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from "yaml";
import { checkSpecificationFile } from "../policies/validate/openapi/spec-check.ts";
import {
  type ConfigIssue,
  type ConfigSource,
  createSource,
  escapePointerToken,
  locate,
  sortIssues,
} from "./config-error.ts";
import { type Env, interpolateDocument } from "./interpolate.ts";
import { type Config, configSchema } from "./schema.ts";
import { validateConfig } from "./validate.ts";

export type { ConfigIssue, ConfigSource } from "./config-error.ts";
export { ConfigError, formatIssues, locate } from "./config-error.ts";

export type LoadResult =
  | { ok: true; config: Config; source: ConfigSource }
  | { ok: false; errors: ConfigIssue[] };

// Errors after which the tree is still the one the author meant, so validation can go on and report more.
const RECOVERABLE = new Set(["DUPLICATE_KEY"]);

function parseYaml(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: "1.2",
    schema: "core",
    merge: false,
    uniqueKeys: true,
    prettyErrors: true,
    lineCounter,
  }) as Document;
  return { doc, lineCounter };
}

export function loadConfigText(text: string, opts: { file: string; env: Env }): LoadResult {
  const fast = loadValidFast(text, opts.file);
  if (fast !== undefined) return fast;
  const { doc, lineCounter } = parseYaml(text);
  const source = createSource(opts.file, doc, lineCounter);

  const issues = [...doc.errors, ...doc.warnings].map((e) => yamlIssue(e, source));
  if (doc.errors.some((e) => !RECOVERABLE.has(e.code))) return { ok: false, errors: sortIssues(issues) };

  const interpolation = interpolateDocument(source, opts.env, configSchema);
  issues.push(...interpolation.issues);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    issues.push({ file: opts.file, path: "", line: 1, column: 1, message: (err as Error).message });
    return { ok: false, errors: sortIssues(issues) };
  }
  issues.push(...validateConfig(data, source, interpolation.failed));
  if (issues.length > 0) return { ok: false, errors: sortIssues(issues) };
  return { ok: true, config: data as Config, source };
}

// `*name` after a separator: an alias. Aliased documents take the full path, whose toJS() bounds alias
// expansion (a "billion laughs" file would otherwise make validation walk the same nodes forever).
const ALIAS = /(^|[\s[{,:-])\*[^\s,\]}]/m;

/**
 * The happy path for big configs. `yaml`'s Document keeps every node's position, which is what makes
 * line:column errors possible, but parses about 1.3 MB/s here (a 5,000-route file took ~1 s). js-yaml
 * (YAML 1.2 core schema, duplicate keys refused) parses it several times faster. So a file is first read
 * with js-yaml; only when it is also valid is that result used. Anything else — a parse error, an issue,
 * `${...}` interpolation (which needs node positions and the schema's types), aliases — goes through the
 * full path, so every reported issue still comes with its line and column. The positions for later
 * stages (compile errors) are parsed lazily, on first use.
 */
function loadValidFast(text: string, file: string): LoadResult | undefined {
  if (text.includes("${") || ALIAS.test(text)) return undefined;
  let data: unknown;
  try {
    data = fastParse(text, { schema: CORE_SCHEMA, filename: file });
  } catch {
    return undefined;
  }
  let parsed: { doc: Document; lineCounter: LineCounter } | undefined;
  const source: ConfigSource = {
    file,
    dir: path.dirname(path.resolve(file)),
    get doc() {
      parsed ??= parseYaml(text);
      return parsed.doc;
    },
    get lineCounter() {
      parsed ??= parseYaml(text);
      return parsed.lineCounter;
    },
  };
  if (validateConfig(data, source).length > 0) return undefined;
  return { ok: true, config: data as Config, source };
}

export async function loadConfigFile(file: string, env: Env = process.env): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    return {
      ok: false,
      errors: [{ file, path: "", line: 1, column: 1, message: `cannot read the config file: ${reason}` }],
    };
  }
  const loaded = loadConfigText(text, { file, env });
  if (!loaded.ok) return loaded;
  const issues = await checkPolicyDocuments(loaded.config, loaded.source);
  return issues.length === 0 ? loaded : { ok: false, errors: sortIssues(issues) };
}

/**
 * Checks that need I/O or async libraries and so cannot run in a policy's (synchronous) factory:
 * OpenAPI documents against the specification. Here they run off the event loop on reloads (the loader
 * worker) and before the first plan at startup.
 */
async function checkPolicyDocuments(config: Config, source: ConfigSource): Promise<ConfigIssue[]> {
  const jobs: Promise<ConfigIssue | undefined>[] = [];
  const visit = (policies: Config["policies"], base: string) => {
    const file = policies?.validate?.openapi?.file;
    if (file === undefined) return;
    const pointer = `${base}/validate/openapi/file`;
    jobs.push(
      checkSpecificationFile(file).then((v) =>
        v.valid
          ? undefined
          : {
              file: source.file,
              path: pointer,
              ...locate(source, pointer),
              message: `${file} is not a valid OpenAPI document: ${v.message.split("\n").slice(0, 6).join(" ")}`,
            },
      ),
    );
  };
  visit(config.policies, "/policies");
  for (const [i, r] of config.routes.entries()) visit(r.policies, `/routes/${i}/policies`);
  return (await Promise.all(jobs)).filter((i): i is ConfigIssue => i !== undefined);
}

function yamlIssue(error: YAMLError, source: ConfigSource): ConfigIssue {
  const at = error.linePos?.[0] ?? { line: 1, col: 1 };
  const issue = { file: source.file, path: "", line: at.line, column: at.col, message: error.message };
  // prettyErrors appends " at line L, column C:" and a code frame; the issue carries the position itself.
  issue.message = error.message.replace(/ at line \d+, column \d+(:\s[\s\S]*)?$/, "");
  if (error.code === "DUPLICATE_KEY") {
    const found = findKeyAt(source.doc.contents, error.pos[0], "");
    if (found) {
      const first = source.lineCounter.linePos(found.firstOffset).line;
      issue.path = found.pointer;
      issue.message = `duplicate key "${found.key}" (first given at line ${first}); YAML keys must be unique`;
    }
  } else if (error.code === "TAG_RESOLVE_FAILED") {
    issue.message += " (custom YAML tags are not supported)";
  }
  return issue;
}

/** The map entry whose key starts at `offset`, with its pointer and the offset of the key's first use. */
function findKeyAt(
  node: unknown,
  offset: number,
  pointer: string,
): { pointer: string; key: string; firstOffset: number } | undefined {
  const contains = (n: unknown) => {
    const range = (n as Node | null)?.range;
    return range != null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
  };
  const keyOf = (k: unknown) => String(isScalar(k) ? k.value : k);
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = keyOf(pair.key);
      if ((pair.key as Node | null)?.range?.[0] === offset) {
        const first = node.items.find((p) => keyOf(p.key) === key)?.key as Node | undefined;
        return {
          pointer: `${pointer}/${escapePointerToken(key)}`,
          key,
          firstOffset: first?.range?.[0] ?? offset,
        };
      }
      if (contains(pair.value)) return findKeyAt(pair.value, offset, `${pointer}/${escapePointerToken(key)}`);
    }
  } else if (isSeq(node)) {
    const i = node.items.findIndex(contains);
    if (i !== -1) return findKeyAt(node.items[i], offset, `${pointer}/${i}`);
  }
  return undefined;
}
