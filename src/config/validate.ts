// validate: the whole document against the schema (every error, in words a reader who has never seen
// JSON Schema understands), then the checks that need the whole config at once (names, references,
// bind addresses, proxy CIDRs, certificate files).
import { statSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { TOKEN_PATTERN } from "../pipeline/token.ts";
import { type ConfigIssue, type ConfigSource, escapePointerToken, issueAt } from "./config-error.ts";
import { DEFAULT_ADMIN, DEFAULT_LISTEN_ADDRESS } from "./defaults.ts";
import { configSchema } from "./schema.ts";

type Json = { readonly [key: string]: unknown };
type Finding = { pointer: string; message: string; at?: "key" };

type FormatsPlugin = (ajv: Ajv) => Ajv;

let compiled: ValidateFunction | undefined;

/** The schema validator, compiled on first use and then shared for the life of the process. */
export function configValidator(): ValidateFunction {
  if (compiled) return compiled;
  // TypeBox emits draft-07-compatible keywords (e.g. `items: [...]` tuples), so the default Ajv class.
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
  // ajv-formats is CommonJS: the plugin is the default export or, through some loaders, its `.default`.
  const plugin = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
  const addFormats = plugin.default ?? plugin;
  addFormats(ajv);
  compiled = ajv.compile(configSchema);
  return compiled;
}

/**
 * Every issue in a parsed, interpolated document. `skip` lists pointers whose value is already known to
 * be wrong (a failed interpolation): findings at or below them would only repeat that.
 */
export function validateConfig(
  data: unknown,
  source: ConfigSource,
  skip: readonly string[] = [],
): ConfigIssue[] {
  const validate = configValidator();
  const findings = validate(data) ? [] : humanize(validate.errors ?? []);
  findings.push(...semanticFindings(data, source), ...fileFindings(data, source));
  const skipped = (p: string) => skip.some((s) => p === s || p.startsWith(`${s}/`));
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const f of findings) {
    const id = `${f.pointer}\0${f.message}`;
    if (skipped(f.pointer) || seen.has(id)) continue;
    seen.add(id);
    issues.push(issueAt(source, f.pointer, f.message, f.at));
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------
// Schema errors → sentences

const within = (pointer: string, parent: string) => pointer === parent || pointer.startsWith(`${parent}/`);
const isUnion = (e: ErrorObject) => e.keyword === "anyOf" || e.keyword === "oneOf";
const inBranchOf = (e: ErrorObject, u: ErrorObject) =>
  e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`) && within(e.instancePath, u.instancePath);

/** Turns ajv errors into findings; a failed union becomes one finding instead of one per branch. */
function humanize(errors: ErrorObject[]): Finding[] {
  const unions = errors.filter(isUnion);
  const outer = unions.filter((u) => !unions.some((o) => inBranchOf(u, o)));
  const findings: Finding[] = [];
  for (const e of errors) {
    if (!outer.some((u) => e === u || inBranchOf(e, u))) findings.push(describe(e));
  }
  for (const u of outer) {
    findings.push(
      ...describeUnion(
        u,
        errors.filter((e) => inBranchOf(e, u)),
      ),
    );
  }
  return findings;
}

function describeUnion(u: ErrorObject, branchErrors: ErrorObject[]): Finding[] {
  const branches = (Array.isArray(u.schema) ? u.schema : []) as Json[];
  const pointer = u.instancePath;
  if (branches.length > 0 && branches.every((b) => "const" in b)) {
    return [
      {
        pointer,
        message: oneOf(
          branches.map((b) => b.const),
          u.data,
        ),
      },
    ];
  }
  // The branches whose type fits the value: if exactly one does, its own errors are the useful ones
  // (`{exact: 1}` → "exact: expected a string"); otherwise say what the union accepts as a whole.
  const typeFailed = new Set(
    branchErrors
      .filter((e) => e.keyword === "type" && e.instancePath === pointer)
      .map((e) => e.schemaPath.slice(u.schemaPath.length + 1).split("/")[0]),
  );
  const fitting = branches.map((_, i) => String(i)).filter((i) => !typeFailed.has(i));
  if (fitting.length === 1) {
    const prefix = `${u.schemaPath}/${fitting[0]}/`;
    const own = branchErrors.filter((e) => e.schemaPath.startsWith(prefix));
    if (own.length > 0) return humanize(own);
  }
  const description = u.parentSchema?.description;
  const expected =
    typeof description === "string"
      ? lowerFirst(description.replace(/\.$/, ""))
      : joinOr(branches.map((b) => typeName(b.type)));
  return [{ pointer, message: `expected ${expected}; got ${describeValue(u.data)}` }];
}

function describe(e: ErrorObject): Finding {
  const pointer = e.instancePath;
  const p = e.params as Record<string, unknown>;
  const got = describeValue(e.data);
  switch (e.keyword) {
    case "additionalProperties":
      return unknownKey(pointer, String(p.additionalProperty), e.parentSchema ?? {});
    case "required":
      return { pointer, message: `missing required key "${p.missingProperty}"` };
    case "type":
      return { pointer, message: typeMessage(String(p.type), e.data, pointer) };
    case "const":
      return { pointer, message: `must be ${JSON.stringify(p.allowedValue)}; got ${got}` };
    case "enum":
      return { pointer, message: oneOf(p.allowedValues as unknown[], e.data) };
    case "minimum":
      return { pointer, message: `must be at least ${p.limit}; got ${got}` };
    case "maximum":
      return { pointer, message: `must be at most ${p.limit}; got ${got}` };
    case "exclusiveMinimum":
      return { pointer, message: `must be more than ${p.limit}; got ${got}` };
    case "exclusiveMaximum":
      return { pointer, message: `must be less than ${p.limit}; got ${got}` };
    case "minLength":
      return {
        pointer,
        message: p.limit === 1 ? "must not be empty" : `must be at least ${p.limit} characters long`,
      };
    case "maxLength":
      return { pointer, message: `must be at most ${p.limit} characters long` };
    case "minItems":
      return {
        pointer,
        message: p.limit === 1 ? "must list at least one item" : `must list at least ${p.limit} items`,
      };
    case "maxItems":
      return { pointer, message: `must list at most ${p.limit} items` };
    case "uniqueItems": {
      // ajv's two algorithms disagree on which of i and j is the later item; the later one is the repeat.
      const [first, repeat] = [p.i as number, p.j as number].sort((a, b) => a - b);
      return {
        pointer: `${pointer}/${repeat}`,
        message: `${JSON.stringify((e.data as unknown[])[repeat])} is listed twice (also at ${pointer}/${first})`,
      };
    }
    case "minProperties":
    case "maxProperties":
      return { pointer, message: propertyCountMessage(e) };
    case "pattern":
      return { pointer, message: `${patternMessage(String(p.pattern), e.parentSchema)}; got ${got}` };
    case "format":
      return { pointer, message: `must be a valid ${p.format}; got ${got}` };
    default:
      return { pointer, message: e.message ?? `fails the "${e.keyword}" rule` };
  }
}

function unknownKey(parent: string, key: string, schema: Json): Finding {
  const pointer = `${parent}/${escapePointerToken(key)}`;
  let message = `unknown key "${key}"`;
  if (key === "<<") {
    message += " (YAML merge keys are not supported: anchors and aliases work for whole values)";
    return { pointer, message, at: "key" };
  }
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  // A key written one level too high, e.g. `path:` next to `match:` instead of inside it.
  const home = Object.entries(properties).find(([, sub]) => objectBranches(sub).some((b) => hasKey(b, key)));
  const suggestion = closest(key, Object.keys(properties));
  if (home) message += `; "${key}" belongs inside "${home[0]}"`;
  else if (suggestion) message += `; did you mean "${suggestion}"?`;
  else if (Object.keys(properties).length > 0)
    message += ` (expected one of: ${Object.keys(properties).join(", ")})`;
  return { pointer, message, at: "key" };
}

function objectBranches(schema: Json): Json[] {
  const out: Json[] = [schema];
  for (const k of ["anyOf", "oneOf"]) if (Array.isArray(schema[k])) out.push(...(schema[k] as Json[]));
  if (typeof schema.items === "object" && schema.items !== null) out.push(schema.items as Json);
  return out;
}

function hasKey(schema: Json, key: string): boolean {
  return (
    typeof schema.properties === "object" &&
    schema.properties !== null &&
    Object.hasOwn(schema.properties, key)
  );
}

const TYPE_NAMES: Record<string, string> = {
  integer: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a map (key: value pairs)",
  array: "a list",
  null: "nothing",
};

function typeName(type: unknown): string {
  return TYPE_NAMES[String(type)] ?? String(type);
}

function typeMessage(type: string, data: unknown, pointer: string): string {
  if (pointer === "" && data == null)
    return "the file is empty: expected a map with version, listeners, upstreams and routes";
  const expected = joinOr(type.split(",").map(typeName));
  let message = `expected ${expected}; got ${describeValue(data)}`;
  if (typeof data === "string") {
    const numeric =
      /^[+-]?\d+(\.\d+)?$/.test(data.trim()) && (type.includes("integer") || type.includes("number"));
    const boolean = /^(true|false)$/i.test(data.trim()) && type.includes("boolean");
    if (numeric || boolean) message += " (remove the quotes)";
  }
  if (type === "boolean" && typeof data === "string" && /^(yes|no|on|off|y|n)$/i.test(data)) {
    message += " (write true or false: YAML 1.2 reads yes, no, on and off as strings)";
  }
  return message;
}

function oneOf(allowed: unknown[], data: unknown): string {
  let message = `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${describeValue(data)}`;
  if (typeof data === "string") {
    const suggestion = closest(
      data,
      allowed.filter((a): a is string => typeof a === "string"),
    );
    if (suggestion) message += `; did you mean "${suggestion}"?`;
  }
  return message;
}

function propertyCountMessage(e: ErrorObject): string {
  const schema = e.parentSchema ?? {};
  const keys = Object.keys((schema.properties ?? {}) as object);
  const min = schema.minProperties as number | undefined;
  const max = schema.maxProperties as number | undefined;
  const among = keys.length > 0 ? ` (${keys.join(", ")})` : "";
  if (min === 1 && max === 1) {
    return keys.length > 0
      ? `must have exactly one of the keys ${joinOr(keys)}`
      : "must have exactly one key";
  }
  return e.keyword === "minProperties"
    ? `must have at least ${min} key${min === 1 ? "" : "s"}${among}`
    : `must have at most ${max} key${max === 1 ? "" : "s"}${among}`;
}

// Patterns are unreadable to most people; the ones the schema uses get a sentence. A pattern missing here
// falls back to the schema's description.
const PATTERNS: Record<string, string> = {
  "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$":
    "must be a name of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  "^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\\*$":
    'must be a host name such as "api.example.com", a wildcard such as "*.example.com", or "*"',
  "^https?://[^/?#]+/?$": 'must be "http://host:port" or "https://host:port", without a path',
  "^[A-Z]+$": 'must be an HTTP method in capitals, such as "GET"',
  "^[A-Za-z]+$": 'must be an HTTP method, such as "GET"',
  "^([A-Za-z]+|\\*)$": 'must be an HTTP method, such as "GET", or "*"',
  [TOKEN_PATTERN]: "must be a header name (letters, digits and !#$%&'*+.^_`|~-; no spaces or colons)",
};

function patternMessage(pattern: string, schema: Json | undefined): string {
  const known = PATTERNS[pattern];
  if (known) return known;
  const description = schema?.description;
  return typeof description === "string"
    ? `does not have the expected form (${description.replace(/\.$/, "")})`
    : `must match the pattern ${pattern}`;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (an empty value)";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  return "a map";
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function joinOr(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? "") : `${unique.slice(0, -1).join(", ")} or ${unique.at(-1)}`;
}

/**
 * The candidate within edit distance 2 (a transposition counts once), nearest first; failing that, a
 * candidate the word starts with ("warning" → "warn").
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance && d < Math.max(word.length, c.length)) {
      best = c;
      bestDistance = d;
    }
  }
  return best ?? candidates.find((c) => c.length >= 3 && w.startsWith(c.toLowerCase()));
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------------------------------
// Whole-config checks. They run even when the schema failed (so everything is reported in one go) and
// therefore trust nothing about the shape.

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function semanticFindings(data: unknown, source: ConfigSource): Finding[] {
  if (!isRecord(data)) return [];
  const findings: Finding[] = [];
  const lineOf = (pointer: string) => issueAt(source, pointer, "").line;

  const uniqueNames = (section: string, noun: string): Set<string> => {
    const first = new Map<string, string>();
    list(data[section]).forEach((item, i) => {
      if (!isRecord(item) || typeof item.name !== "string") return;
      const pointer = `/${section}/${i}/name`;
      const earlier = first.get(item.name);
      if (earlier === undefined) first.set(item.name, pointer);
      else
        findings.push({
          pointer,
          message: `duplicate ${noun} name "${item.name}" (first used at line ${lineOf(earlier)})`,
        });
    });
    return new Set(first.keys());
  };
  uniqueNames("listeners", "listener");
  const upstreams = uniqueNames("upstreams", "upstream");
  uniqueNames("routes", "route");

  if (Array.isArray(data.upstreams)) {
    list(data.routes).forEach((route, i) => {
      if (!isRecord(route) || typeof route.upstream !== "string" || upstreams.has(route.upstream)) return;
      const suggestion = closest(route.upstream, [...upstreams]);
      findings.push({
        pointer: `/routes/${i}/upstream`,
        message: `no upstream named "${route.upstream}"${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
      });
    });
  }

  findings.push(...bindingFindings(data, lineOf));

  list(data.trustedProxies).forEach((entry, i) => {
    if (typeof entry === "string" && !isIpOrCidr(entry)) {
      findings.push({
        pointer: `/trustedProxies/${i}`,
        message: `"${entry}" is not an IP address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)`,
      });
    }
  });
  return findings;
}

interface Binding {
  label: string;
  address: string;
  port: number;
  pointer: string;
}

/** Two sockets that cannot both bind: the same address and port, or a wildcard covering the other. */
function bindingFindings(data: Json, lineOf: (pointer: string) => number): Finding[] {
  const bindings: Binding[] = [];
  list(data.listeners).forEach((l, i) => {
    if (isRecord(l) && Number.isInteger(l.port) && l.port !== 0) {
      bindings.push({
        label: typeof l.name === "string" ? `listener "${l.name}"` : `listener #${i}`,
        address: canonicalAddress(l.address),
        port: l.port as number,
        pointer: `/listeners/${i}/port`,
      });
    }
  });
  // The admin API always listens: on its defaults when the section is absent.
  const admin = data.admin ?? DEFAULT_ADMIN;
  if (isRecord(admin) && Number.isInteger(admin.port) && admin.port !== 0) {
    const implicit = data.admin === undefined;
    bindings[implicit ? "unshift" : "push"]({
      label: implicit
        ? "the admin API (default address and port; set admin.port to move it)"
        : "the admin API",
      address: canonicalAddress(admin.address),
      port: admin.port as number,
      pointer: implicit ? "" : "/admin/port",
    });
  }
  const findings: Finding[] = [];
  bindings.forEach((b, i) => {
    const clash = bindings.slice(0, i).find((a) => a.port === b.port && overlaps(a.address, b.address));
    if (!clash) return;
    const where = (x: Binding) => `${x.address.includes(":") ? `[${x.address}]` : x.address}:${x.port}`;
    findings.push({
      pointer: b.pointer,
      message: `${b.label} on ${where(b)} collides with ${clash.label} on ${where(clash)}${clash.pointer ? ` (line ${lineOf(clash.pointer)})` : ""}`,
    });
  });
  return findings;
}

function canonicalAddress(address: unknown): string {
  if (typeof address !== "string" || address === "") return DEFAULT_LISTEN_ADDRESS;
  if (isIP(address) === 6) {
    try {
      return new URL(`http://[${address}]/`).hostname.slice(1, -1);
    } catch {
      return address.toLowerCase();
    }
  }
  return address.toLowerCase();
}

function overlaps(a: string, b: string): boolean {
  if (a === b || a === "::" || b === "::") return true; // "::" is dual-stack in Node by default
  return (a === "0.0.0.0" && isIP(b) === 4) || (b === "0.0.0.0" && isIP(a) === 4);
}

function isIpOrCidr(entry: string): boolean {
  const slash = entry.indexOf("/");
  if (slash === -1) return isIP(entry) !== 0;
  const address = entry.slice(0, slash);
  const prefix = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  try {
    new BlockList().addSubnet(address, Number(prefix), family === 4 ? "ipv4" : "ipv6");
    return true;
  } catch {
    return false;
  }
}

/** Certificate, key and CA files must exist; relative paths are resolved against the config's folder and
 * replaced by absolute ones, so nothing later depends on the working directory. */
function fileFindings(data: unknown, source: ConfigSource): Finding[] {
  if (!isRecord(data)) return [];
  const findings: Finding[] = [];
  const check = (holder: unknown, key: string, pointer: string, what: string) => {
    if (!isRecord(holder) || typeof holder[key] !== "string" || holder[key] === "") return;
    const given = holder[key] as string;
    const absolute = path.resolve(source.dir, given);
    const shown = absolute === given ? `"${given}"` : `"${given}" (${absolute})`;
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(absolute);
    } catch {
      findings.push({ pointer, message: `${what} file ${shown} does not exist` });
      return;
    }
    if (!stat.isFile()) findings.push({ pointer, message: `${what} file ${shown} is not a regular file` });
    else (holder as Record<string, unknown>)[key] = absolute;
  };
  list(data.listeners).forEach((l, i) => {
    if (!isRecord(l) || !isRecord(l.tls)) return;
    list(l.tls.certificates).forEach((c, j) => {
      const base = `/listeners/${i}/tls/certificates/${j}`;
      check(c, "cert", `${base}/cert`, "certificate");
      check(c, "key", `${base}/key`, "private key");
    });
    check(l.tls.clientAuth, "ca", `/listeners/${i}/tls/clientAuth/ca`, "client CA bundle");
  });
  list(data.upstreams).forEach((u, i) => {
    if (isRecord(u)) check(u.tls, "ca", `/upstreams/${i}/tls/ca`, "CA bundle");
  });
  const policyFiles = (policies: unknown, base: string) => {
    if (!isRecord(policies)) return;
    const validate = policies.validate;
    if (isRecord(validate))
      check(validate.openapi, "file", `${base}/validate/openapi/file`, "OpenAPI document");
    const auth = policies.authenticate;
    if (isRecord(auth)) {
      list(auth.methods).forEach((m, j) => {
        if (!isRecord(m)) return;
        for (const kind of ["jwt", "introspection"]) {
          check(m[kind], "ca", `${base}/authenticate/methods/${j}/${kind}/ca`, "identity provider CA bundle");
        }
      });
    }
  };
  policyFiles(data.policies, "/policies");
  list(data.routes).forEach((r, i) => {
    if (isRecord(r)) policyFiles(r.policies, `/routes/${i}/policies`);
  });
  return findings;
}
