// The response of a request the gateway makes on its own behalf (a background revalidation): the proxy
// writes to it as to a client's, and it discards what it gets. It emits "close" once, when the exchange
// is over, so the request is logged and counted like any other.
import { EventEmitter } from "node:events";
import type { AnyResponse } from "./reply.ts";

export class SinkResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  statusCode = 0;
  readonly req = undefined;

  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  setHeader(): this {
    return this;
  }
  writeContinue(): void {}
  cork(): void {}
  uncork(): void {}
  write(): boolean {
    return true;
  }
  end(): this {
    if (!this.writableEnded) {
      this.writableEnded = true;
      this.#close();
    }
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.#close();
    return this;
  }
  #closed = false;
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // After the caller's own bookkeeping for this write, as a socket's "close" would be.
    setImmediate(() => this.emit("close"));
  }

  /** Typed as a client response for the proxy and sendLocal, which use only the members above. */
  asResponse(): AnyResponse {
    return this as unknown as AnyResponse;
  }
}
