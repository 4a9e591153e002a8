// Test helpers: a real HTTP backend on port 0 whose behaviour can be switched (answer a status, hang,
// refuse connections), and a poll-until helper.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type BackendMode = number | "hang";

export interface Hit {
  method: string;
  url: string;
  host: string | undefined;
}

export class Backend {
  mode: BackendMode = 200;
  /** When set, the n-th request gets script[n % length] instead of mode. */
  script: BackendMode[] | undefined;
  #served = 0;
  readonly hits: Hit[] = [];
  /** Answers sent, per status. */
  readonly answered = new Map<number, number>();
  readonly #server: http.Server;
  #port = 0;

  private constructor() {
    this.#server = http.createServer((req, res) => {
      this.hits.push({ method: req.method ?? "", url: req.url ?? "", host: req.headers.host });
      const mode = this.script ? this.script[this.#served++ % this.script.length] : this.mode;
      if (mode === "hang") return;
      this.answered.set(mode, (this.answered.get(mode) ?? 0) + 1);
      res.writeHead(mode, { "content-type": "text/plain" });
      res.end(req.method === "HEAD" ? undefined : `status ${mode}\n`);
    });
  }

  static async start(): Promise<Backend> {
    const b = new Backend();
    await b.#listen(0);
    return b;
  }

  get port(): number {
    return this.#port;
  }

  get id(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  count(status: number): number {
    return this.answered.get(status) ?? 0;
  }

  /** Stops listening and cuts open connections: new connects get ECONNREFUSED. */
  async refuse(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  resume(): Promise<void> {
    return this.#listen(this.#port);
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    await this.refuse();
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}

export async function until(what: string, predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
