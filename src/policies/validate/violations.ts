// Ajv errors → the `errors` list of a 400 VALIDATION_FAILED problem. Details come from ajv's messages,
// which are built from the schema (a limit, a pattern, a type), never from the data: header values and
// body content may hold secrets and must not be echoed back or logged.
import type { ErrorObject } from "ajv";
import { problemReply } from "../../pipeline/problem-reply.ts";
import type { LocalReply } from "../../pipeline/types.ts";

export type Location = "path" | "query" | "header" | "body";

export interface Violation {
  readonly in: Location;
  /** JSON pointer inside the location's value ("" is the whole value). */
  readonly pointer: string;
  readonly detail: string;
}

/** More would only make a bigger reply for a client that sent something far off. */
export const MAX_LISTED = 20;

export function escapeToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

function child(error: ErrorObject, name: unknown): string {
  return `${error.instancePath}/${escapeToken(String(name))}`;
}

function toViolation(location: Location, error: ErrorObject): Violation {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { in: location, pointer: child(error, p.missingProperty), detail: "is required" };
    case "additionalProperties":
      return { in: location, pointer: child(error, p.additionalProperty), detail: "is not allowed" };
    case "unevaluatedProperties":
      return { in: location, pointer: child(error, p.unevaluatedProperty), detail: "is not allowed" };
    case "propertyNames":
      return { in: location, pointer: child(error, p.propertyName), detail: "is not an allowed name" };
    case "dependentRequired":
    case "dependencies":
      return {
        in: location,
        pointer: child(error, p.missingProperty),
        detail: error.message ?? "is required",
      };
    default:
      return { in: location, pointer: error.instancePath, detail: error.message ?? "is not valid" };
  }
}

/** Appends one violation per ajv error (ajv runs with allErrors, so every failing keyword is there). */
export function addAjvErrors(
  into: Violation[],
  location: Location,
  errors: ErrorObject[] | null | undefined,
): void {
  for (const e of errors ?? []) {
    // propertyNames reports the name's own failure first, at the same place: one entry is enough.
    if (e.propertyName !== undefined && e.keyword !== "propertyNames") continue;
    into.push(toViolation(location, e));
  }
}

/** 400 VALIDATION_FAILED listing the first MAX_LISTED violations. */
export function validationReply(violations: readonly Violation[]): LocalReply {
  const n = violations.length;
  const detail =
    n === 1
      ? "the request does not match the route's schema: 1 violation"
      : `the request does not match the route's schema: ${n} violations${n > MAX_LISTED ? `, the first ${MAX_LISTED} listed` : ""}`;
  return {
    ...problemReply("VALIDATION_FAILED", detail),
    extensions: { errors: violations.slice(0, MAX_LISTED) },
  };
}
