// Sits between the client's request body and the upstream: counts bytes against the size limit and
// cuts a body that trickles (a pause longer than the idle timeout), so neither can tie up a backend.
import { Transform, type TransformCallback } from "node:stream";
import { problemReply } from "../pipeline/problem-reply.ts";
import type { LocalReply } from "../pipeline/types.ts";

export class BodyLimitError extends Error {
  readonly code = "BODY_TOO_LARGE";
}
export class BodyIdleError extends Error {
  readonly code = "BODY_IDLE_TIMEOUT";
}

/** The client's answer when its body broke a guard: 413 past the limit, 408 when it stalled. */
export function bodyErrorReply(err: unknown): LocalReply | undefined {
  if (err instanceof BodyLimitError) return problemReply("BODY_TOO_LARGE", err.message);
  if (err instanceof BodyIdleError) return problemReply("REQUEST_TIMEOUT", err.message);
  return undefined;
}

export class BodyGuard extends Transform {
  readonly #counter: { bytesIn: number };
  readonly #limit: number;
  readonly #timer: NodeJS.Timeout;

  /** `counter.bytesIn` is kept up to date (the request context, for the access log). */
  constructor(limit: number, idleMs: number, counter: { bytesIn: number }) {
    super();
    this.#counter = counter;
    this.#limit = limit;
    this.#timer = setTimeout(
      () => this.destroy(new BodyIdleError(`no request body data for ${idleMs} ms`)),
      idleMs,
    );
    this.#timer.unref();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#counter.bytesIn += chunk.length;
    if (this.#counter.bytesIn > this.#limit) {
      done(new BodyLimitError(`request body exceeds ${this.#limit} bytes`));
      return;
    }
    this.#timer.refresh();
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    clearTimeout(this.#timer);
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    done(err);
  }
}
