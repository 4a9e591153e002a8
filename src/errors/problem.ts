// RFC 9457 problem+json bodies for every gateway-made error.
import { ERROR_CODES, type ErrorCode } from "./codes.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  requestId?: string;
  instance?: string;
}

/** A stable URI per code; the anchor is the code's heading in docs/errors.md. */
export function problemType(code: ErrorCode): string {
  return `https://github.com/portcullis-gateway/portcullis/blob/main/docs/errors.md#${code.toLowerCase()}`;
}

/**
 * `extensions` are RFC 9457 §3.2 extension members (e.g. `errors` listing each validation failure); they
 * cannot replace the standard members.
 */
export function problemBody(
  code: ErrorCode,
  requestId: string | undefined,
  detail?: string,
  extensions?: Readonly<Record<string, unknown>>,
): string {
  const spec = ERROR_CODES[code];
  const problem: Problem = { type: problemType(code), title: spec.title, status: spec.status, code };
  if (detail !== undefined) problem.detail = detail;
  if (requestId !== undefined) problem.requestId = requestId;
  return JSON.stringify(extensions === undefined ? problem : { ...extensions, ...problem });
}
