// One route config → a validated, precompiled route. All checks the JSON Schema cannot express live here.
import { RouterConfigError } from "./errors.ts";
import {
  checkPlainPath,
  EXACT,
  type Fail,
  normalizePrefix,
  type ParsedTemplate,
  type PathKind,
  PREFIX,
  parseRegex,
  parseTemplate,
  REGEX,
  TEMPLATE,
} from "./path-pattern.ts";
import { compileRewrite, type Rewrite } from "./rewrite.ts";
import type { RouterEntry } from "./types.ts";
import { compileValueMatchers, type ValueMatcher } from "./value-match.ts";

export interface CompiledRoute<R> {
  readonly entry: RouterEntry<R>;
  readonly index: number;
  readonly priority: number;
  readonly kind: PathKind;
  /** Exact path, normalized prefix, template source or regex source. */
  readonly path: string;
  readonly literalLength: number;
  /** Lower-cased and deduplicated; "*" for any host. */
  readonly hosts: string[];
  /** null = any method. Contains HEAD whenever GET is allowed. */
  readonly methods: ReadonlySet<string> | null;
  readonly headers: ValueMatcher[] | null;
  readonly query: ValueMatcher[] | null;
  readonly template: ParsedTemplate | null;
  readonly regex: RegExp | null;
  readonly regexLiteral: string;
  readonly regexFirstSegment: string | null;
  /** Regex routes: named groups become params, so the winner's regex is executed once more. */
  readonly hasNamedGroups: boolean;
  readonly stripPrefix: boolean;
  readonly rewrite: Rewrite | null;
  /** Prefix routes: the rewrite text that replaces the matched prefix. */
  readonly rewriteText: string;
}

const KINDS: Record<string, PathKind> = { prefix: PREFIX, exact: EXACT, template: TEMPLATE, regex: REGEX };

export function compileRoute<R>(entry: RouterEntry<R>): CompiledRoute<R> {
  const { config, index } = entry;
  const m = config.match;
  const failAt =
    (field: string): Fail =>
    (detail) => {
      throw new RouterConfigError(index, config.name, field, detail);
    };

  const typeName = m.pathType ?? "prefix";
  if (!Object.hasOwn(KINDS, typeName))
    failAt("match/pathType")(`unknown path type ${JSON.stringify(typeName)}`);
  const kind = KINDS[typeName];
  const failPath = failAt("match/path");
  let path = m.path;
  let literalLength = 0;
  let template: ParsedTemplate | null = null;
  let regex: RegExp | null = null;
  let regexLiteral = "";
  let regexFirstSegment: string | null = null;
  let names: string[] = [];
  let groupCount = 0;
  if (kind === PREFIX || kind === EXACT) {
    checkPlainPath(path, failPath);
    if (kind === PREFIX) path = normalizePrefix(path);
    literalLength = path.length;
  } else if (kind === TEMPLATE) {
    template = parseTemplate(path, failPath);
    literalLength = template.literalLength;
    names = template.paramNames;
  } else {
    const parsed = parseRegex(path, failPath);
    regex = parsed.re;
    regexLiteral = parsed.literal;
    regexFirstSegment = parsed.firstSegment;
    literalLength = parsed.literal.length;
    names = parsed.groupNames;
    groupCount = parsed.groupCount;
  }

  if (config.stripPrefix && kind !== PREFIX) {
    failAt("stripPrefix")(`only prefix routes can strip a prefix (this one is ${m.pathType})`);
  }
  const rewrite =
    config.rewrite === undefined
      ? null
      : compileRewrite(config.rewrite, kind, names, groupCount, failAt("rewrite"));

  let methods: Set<string> | null = null;
  if (m.methods !== undefined) {
    methods = new Set(m.methods.map((x) => x.toUpperCase()));
    if (methods.has("GET")) methods.add("HEAD");
  }

  const hosts = m.hosts === undefined ? ["*"] : [...new Set(m.hosts.map((h) => h.toLowerCase()))];
  for (const h of hosts) {
    if (h !== "*" && (h.indexOf("*") > 0 || (h.startsWith("*") && !h.startsWith("*.")))) {
      failAt("match/hosts")(`invalid host ${JSON.stringify(h)}: use "*.example.com" or "*"`);
    }
  }

  return {
    entry,
    index,
    priority: config.priority ?? 0,
    kind,
    path,
    literalLength,
    hosts,
    methods,
    headers: compileValueMatchers(m.headers, true, (key, detail) => failAt(`match/headers/${key}`)(detail)),
    query: compileValueMatchers(m.query, false, (key, detail) => failAt(`match/query/${key}`)(detail)),
    template,
    regex,
    regexLiteral,
    regexFirstSegment,
    hasNamedGroups: kind === REGEX && names.length > 0,
    stripPrefix: config.stripPrefix === true,
    rewrite,
    rewriteText: config.rewrite ?? "",
  };
}
