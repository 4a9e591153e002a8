// Runs compiled checks against one request. Order: a declared body too large (413), a body of a type the
// route does not take (415), then every parameter and body violation together (400). Stays synchronous
// unless the body has to be read: to validate it, or to hold a body of unannounced length to the limit.
import type { ValidateFunction } from "ajv";
import { problemReply } from "../../pipeline/problem-reply.ts";
import type { LocalReply, RequestView } from "../../pipeline/types.ts";
import { bodyPresence, declaredLength, parseJsonBody } from "./body.ts";
import { type ArrayParams, headerObject, pathObject, queryObject } from "./inputs.ts";
import { isJson, type MediaRange, type MediaType, parseContentType, rangeMatches } from "./media-type.ts";
import { addAjvErrors, type Location, type Violation, validationReply } from "./violations.ts";

export interface ParamCheck {
  readonly validate: ValidateFunction;
  readonly arrays: ArrayParams;
  /** Headers only: the names to look at, or undefined for all. */
  readonly names?: readonly string[];
}

export interface BodyRule {
  readonly range: MediaRange;
  /** Undefined: bodies of this type are taken as they are. */
  readonly validate: ValidateFunction | undefined;
}

export interface Checks {
  readonly path: ParamCheck | undefined;
  readonly query: ParamCheck | undefined;
  readonly headers: ParamCheck | undefined;
  /** Every list must accept a body's media type (the route's contentTypes, an operation's content). */
  readonly accepted: readonly (readonly MediaRange[])[];
  /** Most specific first; the first whose range matches the body's type decides how it is validated. */
  readonly bodies: readonly BodyRule[];
  readonly requireBody: boolean;
  readonly maxBodyBytes: number | undefined;
}

export type Reply = LocalReply | undefined;

const BODY_REQUIRED: Violation = { in: "body", pointer: "", detail: "is required" };

function conclude(violations: readonly Violation[]): Reply {
  return violations.length === 0 ? undefined : validationReply(violations);
}

function run(validate: ValidateFunction, data: unknown, location: Location, into: Violation[]): void {
  try {
    if (!validate(data)) addAjvErrors(into, location, validate.errors);
  } catch (err) {
    // A recursive schema walks as deep as the data nests; past the stack it is the data's fault.
    if (!(err instanceof RangeError)) throw err;
    into.push({ in: location, pointer: "", detail: "is nested too deeply to validate" });
  }
}

function checkParams(
  checks: Checks,
  req: RequestView,
  params: Readonly<Record<string, string>>,
): Violation[] {
  const out: Violation[] = [];
  const { path, query, headers } = checks;
  if (path !== undefined) run(path.validate, pathObject(params, path.arrays), "path", out);
  if (query !== undefined) run(query.validate, queryObject(req.query, query.arrays), "query", out);
  if (headers !== undefined) {
    run(headers.validate, headerObject(req.headers, headers.arrays, headers.names), "header", out);
  }
  return out;
}

/** 415 when some allow-list does not take the body's type. */
function refuseType(checks: Checks, req: RequestView, mt: MediaType | undefined): Reply {
  for (const list of checks.accepted) {
    if (mt !== undefined && list.some((r) => rangeMatches(r, mt))) continue;
    const accepts = `this route accepts ${list.map((r) => r.text).join(", ")}`;
    const why =
      req.headers["content-type"] === undefined
        ? "the request has a body but no Content-Type"
        : mt === undefined
          ? "the Content-Type is not a single valid media type"
          : "the body's Content-Type is not accepted";
    return problemReply("UNSUPPORTED_MEDIA_TYPE", `${why}; ${accepts}`);
  }
  return undefined;
}

function bodyValidator(checks: Checks, mt: MediaType | undefined): ValidateFunction | undefined {
  if (mt === undefined || !isJson(mt)) return undefined;
  return checks.bodies.find((rule) => rangeMatches(rule.range, mt))?.validate;
}

function checkBody(validate: ValidateFunction, body: Buffer, into: Violation[]): void {
  const parsed = parseJsonBody(body);
  if (parsed.ok) run(validate, parsed.value, "body", into);
  else into.push({ in: "body", pointer: "", detail: parsed.detail });
}

export function runChecks(
  checks: Checks,
  req: RequestView,
  params: Readonly<Record<string, string>>,
): Reply | Promise<Reply> {
  const max = checks.maxBodyBytes;
  const declared = declaredLength(req);
  if (max !== undefined && declared !== undefined && declared > max) {
    return problemReply("BODY_TOO_LARGE", `request body exceeds ${max} bytes`);
  }
  const presence = bodyPresence(req);
  const mt = parseContentType(req.headers["content-type"]);
  if (presence === "some") {
    const refused = refuseType(checks, req, mt);
    if (refused !== undefined) return refused;
  }
  const violations = checkParams(checks, req, params);

  if (presence === "none") {
    if (checks.requireBody) violations.push(BODY_REQUIRED);
    return conclude(violations);
  }
  if (presence === "some") {
    const validate = bodyValidator(checks, mt);
    // A chunked body has no length to compare up front: it is read to hold it to the limit.
    if (validate === undefined && (max === undefined || declared !== undefined)) return conclude(violations);
    return req.readBody(max).then((body) => {
      if (body.length === 0) {
        if (checks.requireBody) violations.push(BODY_REQUIRED);
      } else if (validate !== undefined) checkBody(validate, body, violations);
      return conclude(violations);
    });
  }
  // HTTP/2 without content-length: whether there is a body at all is only known once it is read.
  const needsBody =
    checks.accepted.length > 0 || checks.bodies.length > 0 || checks.requireBody || max !== undefined;
  if (!needsBody) return conclude(violations);
  return req.readBody(max).then((body) => {
    if (body.length === 0) {
      if (checks.requireBody) violations.push(BODY_REQUIRED);
      return conclude(violations);
    }
    const refused = refuseType(checks, req, mt);
    if (refused !== undefined) return refused;
    const validate = bodyValidator(checks, mt);
    if (validate !== undefined) checkBody(validate, body, violations);
    return conclude(violations);
  });
}
