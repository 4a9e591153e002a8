// `openapi:` mode: the document is read, checked against the specification and compiled when the plan
// is built; a request is then matched to its operation and checked like a `schema:` route.
import { type LocalReply, PolicyConfigError, type RequestView } from "../../../pipeline/types.ts";
import { type Checks, type Reply, runChecks } from "../check.ts";
import type { BaseRules } from "../compile-schemas.ts";
import type { OpenApiOptions } from "../schema.ts";
import { validationReply } from "../violations.ts";
import { loadDocument } from "./document.ts";
import { compileOperations } from "./operations.ts";
import { externalRef, prepareDocument } from "./prepare.ts";
import { knownVerdict } from "./spec-check.ts";

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
/** Long parser reports (a code frame per error) are cut to keep the config error readable. */
const REPORT_LINES = 40;

function shorten(message: string): string {
  const lines = message.split("\n");
  return lines.length <= REPORT_LINES ? message : `${lines.slice(0, REPORT_LINES).join("\n")}\n...`;
}

/** The path the document's templates are matched against, or undefined when outside the prefix. */
function stripPrefix(path: string, prefix: string): string | undefined {
  if (prefix === "") return path;
  if (path === prefix) return "/";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
}

function unknownOperation(pathMatched: boolean): LocalReply {
  const detail = pathMatched
    ? "the API description has no operation for this method on this path"
    : "no path of the API description matches this path";
  return validationReply([{ in: "path", pointer: "", detail }]);
}

export function compileOpenApi(
  options: OpenApiOptions,
  base: BaseRules,
  path: string,
): (req: RequestView) => Reply | Promise<Reply> {
  const at = `${path}/openapi/file`;
  const loaded = loadDocument(options.file, at);
  const external = externalRef(loaded.doc);
  if (external !== undefined) {
    throw new PolicyConfigError(
      at,
      `${loaded.file}: the $ref "${external.ref}" at ${external.pointer} points outside the document; only references inside it are supported (bundle a split document into one file first)`,
    );
  }
  // The specification check ran when the config was loaded (an async step); refuse a known bad verdict.
  const verdict = knownVerdict(loaded.text);
  if (verdict !== undefined && !verdict.valid) {
    throw new PolicyConfigError(
      at,
      `${loaded.file} is not a valid OpenAPI document: ${shorten(verdict.message)}`,
    );
  }
  let table: ReturnType<typeof compileOperations>;
  try {
    table = compileOperations(prepareDocument(loaded.doc, loaded.version), loaded.version, base);
  } catch (err) {
    throw new PolicyConfigError(at, `${loaded.file}: ${(err as Error).message}`);
  }
  const raw = options.pathPrefix ?? "";
  const prefix = raw.endsWith("/") ? raw.slice(0, -1) : raw;
  const allowUnknown = options.unknownOperations === "allow";
  // An operation the document does not describe still gets the route-wide rules when it is let through.
  const fallback: Checks | undefined =
    base.contentTypes === undefined && base.maxBodyBytes === undefined
      ? undefined
      : {
          path: undefined,
          query: undefined,
          headers: undefined,
          accepted: base.contentTypes === undefined ? [] : [base.contentTypes],
          bodies: [],
          requireBody: false,
          maxBodyBytes: base.maxBodyBytes,
        };

  return (req) => {
    const rest = stripPrefix(req.path, prefix);
    const match = rest === undefined ? undefined : table.match(rest);
    const ops = match?.value;
    const op = ops?.get(req.method) ?? (req.method === "HEAD" ? ops?.get("GET") : undefined);
    if (op !== undefined && match !== undefined) return runChecks(op, req, match.params);
    if (!allowUnknown) return unknownOperation(match !== undefined);
    return fallback === undefined ? undefined : runChecks(fallback, req, NO_PARAMS);
  };
}
