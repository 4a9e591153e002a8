// The fair baseline from docs/benchmarks.md: the least a Node.js reverse proxy can do with node:http and
// undici. Anything Portcullis spends beyond this is the price of its features.
// Usage: node bench/bare-forwarder.ts <port> <upstream origin, e.g. http://127.0.0.1:8080>
import http from "node:http";
import { Pool } from "undici";

const port = Number(process.argv[2]);
const upstream = process.argv[3];
if (!Number.isInteger(port) || !upstream) throw new Error("usage: bare-forwarder.ts <port> <origin>");

// Hop-by-hop headers (RFC 9110 §7.6.1) must not be forwarded; host is set by undici from the origin.
const HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
const pools = new Map<string, Pool>();
const poolFor = (origin: string): Pool => {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 64, pipelining: 1 });
    pools.set(origin, pool);
  }
  return pool;
};

const server = http.createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== "host" && !HOP.has(name)) headers[name] = value;
  }
  const hasBody =
    req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  poolFor(upstream)
    .request({ method: req.method as "GET", path: req.url ?? "/", headers, body: hasBody ? req : undefined })
    .then(
      ({ statusCode, headers: upstreamHeaders, body }) => {
        // The client may have gone while the upstream answered (wrk closes busy connections at its end).
        if (res.destroyed) return void body.dump().catch(() => {});
        for (const name of HOP) delete upstreamHeaders[name];
        res.writeHead(statusCode, upstreamHeaders as http.OutgoingHttpHeaders);
        // pipe(), not stream.pipeline(): on Node 24 pipeline() builds an AbortController and throws away a
        // DOMException per call, which halved this forwarder's requests/s (measured: 5-7k vs 11-13k).
        body.on("error", () => res.destroy());
        res.on("close", () => body.destroy());
        body.pipe(res);
      },
      () => {
        if (res.headersSent || res.destroyed) res.destroy();
        else res.writeHead(502, { "content-length": "0" }).end();
      },
    );
});
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
