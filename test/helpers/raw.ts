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

/** Sends `payload` (string or pieces with delays) and collects the reply until close or `timeoutMs`. */
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
    const finish = () => {
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
        if (typeof p === "number") await new Promise((r) => setTimeout(r, p));
        else if (!socket.destroyed) socket.write(p);
      }
    });
  });
}

/** Count of HTTP responses in a raw reply (to show a smuggled second request got no answer). */
export function responseCount(text: string): number {
  return text.match(/HTTP\/1\.[01] \d{3}/g)?.length ?? 0;
}
