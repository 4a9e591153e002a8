// Requests for the validate policy's unit tests: a fake request whose body reads like the server's
// readBody (a limit rejects with 413) and records whether and how it was read.

import { problemReply } from "../../pipeline/problem-reply.ts";
import { LocalReplyError, type PolicyHooks } from "../../pipeline/types.ts";
import { type FakeRequest, fakeRequest, policyContext } from "../testing.ts";
import { validatePolicy } from "./index.ts";
import type { ValidateOptions } from "./schema.ts";

export const PATH = "/routes/0/policies/validate";

export type Check = NonNullable<PolicyHooks["onRequest"]>;

/** The policy's request hook (it always has one). */
export function create(options: ValidateOptions): { onRequest: Check } {
  const hooks = validatePolicy.create(options, policyContext(PATH));
  if (hooks.onRequest === undefined) throw new Error("the validate policy returned no request hook");
  return { onRequest: hooks.onRequest };
}

export interface TestRequest extends FakeRequest {
  /** The limits readBody was called with, one entry per call. */
  reads: (number | undefined)[];
}

export interface RequestInput extends Partial<FakeRequest> {
  /** A JSON value (stringified) or raw text/bytes. */
  body?: unknown;
  /** Send the body without content-length (chunked on HTTP/1, unannounced on HTTP/2). */
  chunked?: boolean;
}

export function request(input: RequestInput = {}): TestRequest {
  const { body, chunked, ...rest } = input;
  const bytes =
    body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const headers: Record<string, string | string[]> = {};
  if (body !== undefined) {
    if (chunked) {
      if ((rest.httpVersion ?? "1.1").startsWith("1")) headers["transfer-encoding"] = "chunked";
    } else headers["content-length"] = String(bytes.length);
    if (typeof body !== "string" && !Buffer.isBuffer(body)) headers["content-type"] = "application/json";
  }
  const reads: (number | undefined)[] = [];
  const req = fakeRequest({
    method: body === undefined ? "GET" : "POST",
    ...rest,
    headers: { ...headers, ...(rest.headers ?? {}) },
    readBody: (limit?: number) => {
      reads.push(limit);
      if (limit !== undefined && bytes.length > limit) {
        return Promise.reject(
          new LocalReplyError(problemReply("BODY_TOO_LARGE", `request body exceeds ${limit} bytes`)),
        );
      }
      return Promise.resolve(bytes);
    },
  });
  return Object.assign(req, { reads });
}
