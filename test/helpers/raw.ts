// Raw-socket HTTP exchanges: what was written is exactly what the gateway receives.
import net from "node:net";

export interface RawResult {
  /** Everything the gateway sent before closing (or before the timeout). */
  text: string;
  /** Status code of the first response, or 0 if none. */
  status: number;
  /** True when the gateway closed the connection. */
  closed: boolean;
  /** Milliseconds until close (or timeout). */
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `payload` (string or pieces with delays in ms between them) and collects the reply until close or
 * `timeoutMs`. Writing stops as soon as the connection is closed, so a long trickle does not outlive it.
 */
export function rawRequest(
  port: number,
  payload: string | Buffer | Array<string | Buffer | number>,
  timeoutMs = 3_000,
): Promise<RawResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      socket.destroy();
      resolve({ text, status: m ? Number(m[1]) : 0, closed, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("connect", async () => {
      const pieces = Array.isArray(payload) ? payload : [payload];
      for (const p of pieces) {
        if (done || socket.destroyed) return;
        if (typeof p === "number") await sleep(p);
        else socket.write(p);
      }
    });
  });
}

/** Count of HTTP responses in a raw reply (to show a smuggled second request got no answer). */
export function responseCount(text: string): number {
  return text.match(/HTTP\/1\.[01] \d{3}/g)?.length ?? 0;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** Bytes after this response (a further response, or garbage). */
  rest: string;
}

/** Parses the first response of a raw reply (Content-Length framed, or up to the end); undefined if none. */
export function parseResponse(text: string): RawResponse | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  const end = text.indexOf("\r\n\r\n");
  if (m === null || end === -1) return undefined;
  const headers: Record<string, string> = {};
  for (const line of text.slice(m[0].length, end).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const from = end + 4;
  const length = headers["content-length"];
  const to = length === undefined ? text.length : from + Number(length);
  return { status: Number(m[1]), headers, body: text.slice(from, to), rest: text.slice(to) };
}

/** A client connection kept open across several requests (keep-alive, connection limits). */
export interface RawConnection {
  readonly socket: net.Socket;
  /** Resolves once the peer has closed the connection (or it failed); the value is ms since connect. */
  readonly closed: Promise<number>;
  /** Writes `payload` and resolves with the next complete Content-Length-framed response. */
  exchange(payload: string, timeoutMs?: number): Promise<RawResponse>;
  close(): void;
}

export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const started = performance.now();
    let buffered = "";
    let waiter: (() => void) | undefined;
    socket.on("data", (c: Buffer) => {
      buffered += c.toString("latin1");
      waiter?.();
    });
    const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - started)));
    socket.once("close", () => waiter?.());
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({
        socket,
        closed,
        close: () => socket.destroy(),
        exchange(payload, timeoutMs = 2_000) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => {
              waiter = undefined;
              fail(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(buffered)}`));
            }, timeoutMs);
            waiter = () => {
              const r = parseResponse(buffered);
              const complete =
                r !== undefined &&
                (r.headers["content-length"] === undefined ||
                  r.body.length === Number(r.headers["content-length"]));
              if (complete) {
                clearTimeout(timer);
                waiter = undefined;
                buffered = r.rest;
                ok(r);
              } else if (socket.destroyed) {
                clearTimeout(timer);
                waiter = undefined;
                fail(new Error(`connection closed; got ${JSON.stringify(buffered)}`));
              }
            };
            socket.write(payload);
          });
        },
      });
    });
  });
}
