// The admin listener: health, readiness and metrics on their own socket, away from proxied traffic, so a
// scrape or a probe never competes with a route and a route can never shadow them. Later features add
// routes (config, upstreams) through `extra`.
import http from "node:http";
import { BlockList, isIP } from "node:net";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

export interface AdminRoute {
  method: string;
  /** Exact path, no query string. */
  path: string;
  handler(req: http.IncomingMessage, res: http.ServerResponse): void | Promise<void>;
}

export interface AdminServerOptions {
  address: string;
  port: number;
  metrics: Metrics;
  isReady: () => boolean;
  extra?: AdminRoute[];
  /** Required to listen on anything but loopback: the admin API has no authentication of its own. */
  allowRemote?: boolean;
  logger?: Logger;
}

export interface AdminServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

type Handler = AdminRoute["handler"];

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  if (!isLoopback(opts.address)) {
    if (!opts.allowRemote) {
      throw new Error(
        `admin: refusing to listen on non-loopback address ${opts.address}; the admin API is unauthenticated (pass allowRemote to override)`,
      );
    }
    const msg = `admin API listening on non-loopback address ${opts.address}: anyone who can reach it can read metrics and readiness`;
    if (opts.logger) opts.logger.warn({ address: opts.address, port: opts.port }, msg);
    else process.emitWarning(msg);
  }

  const table = buildTable(opts);
  const server = http.createServer((req, res) => dispatch(table, req, res, opts.logger));
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : opts.port;

  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** path → method → handler; a GET route also answers HEAD (node drops the body for HEAD). */
function buildTable(opts: AdminServerOptions): Map<string, Map<string, Handler>> {
  const routes: AdminRoute[] = [
    { method: "GET", path: "/healthz", handler: (_req, res) => sendJson(res, 200, { status: "ok" }) },
    {
      method: "GET",
      path: "/readyz",
      handler: (_req, res) => {
        if (opts.isReady()) sendJson(res, 200, { status: "ready" });
        else
          sendProblem(
            res,
            503,
            "NOT_READY",
            "The gateway has no serving configuration yet or is shutting down.",
          );
      },
    },
    {
      method: "GET",
      path: "/metrics",
      handler: async (_req, res) => {
        const { contentType, body } = await opts.metrics.render();
        res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
        res.end(body);
      },
    },
    ...(opts.extra ?? []),
  ];
  const table = new Map<string, Map<string, Handler>>();
  for (const r of routes) {
    const method = r.method.toUpperCase();
    let byMethod = table.get(r.path);
    if (byMethod === undefined) {
      byMethod = new Map();
      table.set(r.path, byMethod);
    }
    if (byMethod.has(method)) throw new Error(`admin: duplicate route ${method} ${r.path}`);
    byMethod.set(method, r.handler);
  }
  for (const byMethod of table.values()) {
    const get = byMethod.get("GET");
    if (get !== undefined && !byMethod.has("HEAD")) byMethod.set("HEAD", get);
  }
  return table;
}

async function dispatch(
  table: Map<string, Map<string, Handler>>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  logger: Logger | undefined,
): Promise<void> {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const byMethod = table.get(path);
  if (byMethod === undefined) {
    sendProblem(res, 404, "NOT_FOUND", `No admin endpoint at ${path}.`);
    return;
  }
  const handler = byMethod.get(req.method ?? "");
  if (handler === undefined) {
    res.setHeader("allow", [...byMethod.keys()].join(", "));
    sendProblem(res, 405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}.`);
    return;
  }
  try {
    await handler(req, res);
  } catch (err) {
    logger?.error({ err, path, method: req.method }, "admin handler failed");
    if (!res.headersSent) sendProblem(res, 500, "INTERNAL", "The admin handler failed; see the gateway log.");
    else res.destroy();
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** RFC 9457. `about:blank` because these problems mean no more than their status code. */
export function sendProblem(res: http.ServerResponse, status: number, code: string, detail: string): void {
  const text = JSON.stringify({
    type: "about:blank",
    title: http.STATUS_CODES[status] ?? "Error",
    status,
    detail,
    code,
  });
  res.writeHead(status, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Loopback literals only (IPv4-mapped forms included); a host name other than "localhost" could resolve anywhere. */
export function isLoopback(address: string): boolean {
  if (address === "localhost") return true;
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return false;
  return LOOPBACK.check(bare, family === 4 ? "ipv4" : "ipv6");
}
