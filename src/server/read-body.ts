// Reading a whole request body for a policy (validation), on demand. Kept out of the handler's closure
// on purpose: a closure per request to carry req/res tripled GC time on the plain route; the context's
// fields carry them instead.
import type { ServerResponse } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { RequestContext } from "../pipeline/context.ts";
import { problemReply } from "../pipeline/problem-reply.ts";
import { LocalReplyError } from "../pipeline/types.ts";
import { BodyGuard, bodyErrorReply } from "./body-guard.ts";

/** Whether the request has a body to read (h2: the stream did not end with the headers). */
export function hasBody(ctx: RequestContext): boolean {
  const h2 = (ctx.request as Http2ServerRequest | undefined)?.stream;
  if (h2 !== undefined) return !h2.endAfterHeaders;
  const length = ctx.headers["content-length"];
  return ctx.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Reads the whole body under the smaller of `limit` and the listener's limit. A client that sent
 * "Expect: 100-continue" gets its 100 now, since the body is wanted.
 */
export function readWholeBody(ctx: RequestContext, limit: number | undefined): Promise<Buffer> {
  const req = ctx.request;
  const limits = ctx.limits;
  if (ctx.body !== undefined) return Promise.resolve(ctx.body);
  if (req === undefined || limits === undefined) {
    return Promise.reject(new Error("the body can be read once a route matched"));
  }
  if (!hasBody(ctx)) {
    ctx.body = Buffer.alloc(0);
    return Promise.resolve(ctx.body);
  }
  const max = Math.min(limit ?? Number.POSITIVE_INFINITY, limits.maxBodyBytes);
  const declared = ctx.headers["content-length"];
  if (typeof declared === "string" && Number(declared) > max) {
    return Promise.reject(
      new LocalReplyError(problemReply("BODY_TOO_LARGE", `request body exceeds ${max} bytes`)),
    );
  }
  if (ctx.headers.expect !== undefined && !ctx.continued) {
    ctx.continued = true;
    (ctx.response as ServerResponse).writeContinue();
  }
  return new Promise<Buffer>((resolve, reject) => {
    const guard = new BodyGuard(max, limits.bodyIdleTimeoutMs, ctx);
    const chunks: Buffer[] = [];
    const fail = (err: Error) => {
      guard.destroy();
      req.unpipe(guard);
      reject(
        new LocalReplyError(
          bodyErrorReply(err) ?? problemReply("BAD_REQUEST", "the request body could not be read"),
        ),
      );
    };
    guard.on("data", (c: Buffer) => chunks.push(c));
    guard.on("end", () => {
      ctx.body = Buffer.concat(chunks);
      resolve(ctx.body);
    });
    guard.on("error", fail);
    req.on("error", fail);
    req.pipe(guard);
  });
}
