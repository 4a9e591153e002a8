// A scripted origin behind a real gateway with the cache policy, for the RFC 9111 conformance files. Each
// test takes a fresh path (`path()`), says how the origin answers it (`script(path, ...answers)`: one
// answer per origin request, the last one repeated), and sends requests through the gateway. The origin
// records what it received per path, so a test can tell a cache hit from a forwarded request and read
// the conditional headers the cache sent.

import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

export interface Answer {
  status?: number;
  headers?: Record<string, string | string[] | number>;
  body?: string | Buffer;
  /** Wait this long before answering (collapsing, background revalidation). */
  delayMs?: number;
  /** Destroy the connection instead of answering (the gateway then answers 502). */
  reset?: boolean;
}

export interface Got {
  status: number;
  headers: Headers;
  body: string;
  /** The body's bytes. */
  raw: Buffer;
  /** Cache-Status as sent, or "". */
  cacheStatus: string;
}

export interface CacheHarness {
  gw: TestGateway;
  origin: TestUpstream;
  /** A path no other test uses. */
  path(prefix?: string): string;
  script(path: string, ...answers: Answer[]): void;
  /** Requests the origin received for this path (any method, any query). */
  calls(path: string): { method: string; url: string; headers: IncomingHttpHeaders }[];
  get(path: string, headers?: Record<string, string>, method?: string, body?: string): Promise<Got>;
  /** A GET through the n-th gateway (`extras.gateways` of them share the config, e.g. a Redis store). */
  getVia(n: number, path: string, headers?: Record<string, string>, method?: string): Promise<Got>;
  close(): Promise<void>;
}

/** The HTTP date `seconds` from now (negative: in the past). */
export function httpDate(seconds = 0): string {
  return new Date(Date.now() + seconds * 1000).toUTCString();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts the origin and a gateway whose single route sends everything to it through `cache` with these
 * options (plus `routeExtras`, e.g. other policies, and `configExtras`, e.g. consumers or redis).
 */
export async function startCacheHarness(
  cache: Record<string, unknown> = {},
  extras: {
    route?: Record<string, unknown>;
    config?: Record<string, unknown>;
    policies?: Record<string, unknown>;
    gateways?: number;
  } = {},
): Promise<CacheHarness> {
  const scripts = new Map<string, { answers: Answer[]; served: number }>();
  const origin = await startUpstream((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const s = scripts.get(path);
    const answer: Answer =
      s === undefined ? { status: 404 } : (s.answers[Math.min(s.served++, s.answers.length - 1)] ?? {});
    const send = () => {
      if (answer.reset === true) {
        req.socket.destroy();
        return;
      }
      const status = answer.status ?? 200;
      const headers: Record<string, string | string[] | number> = { ...(answer.headers ?? {}) };
      if (headers.date === undefined) headers.date = httpDate();
      const body = status === 304 || status === 204 ? "" : (answer.body ?? `${path} #${s?.served ?? 0}`);
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (answer.delayMs !== undefined) setTimeout(send, answer.delayMs);
    else send();
  });
  const config = baseConfig({
    upstreams: [{ name: "origin", targets: [{ url: origin.url }] }],
    ...(extras.config ?? {}),
    routes: [
      {
        name: "cached",
        match: { path: "/" },
        upstream: "origin",
        ...(extras.route ?? {}),
        policies: { ...(extras.policies ?? {}), cache },
      },
    ],
  });
  const gateways: TestGateway[] = [];
  for (let i = 0; i < (extras.gateways ?? 1); i++) gateways.push(await startTestGateway(config));
  const gw = gateways[0];
  const send = async (
    base: string,
    path: string,
    headers: Record<string, string>,
    method: string,
    payload?: string,
  ): Promise<Got> => {
    // undici's request, not fetch: fetch adds Cache-Control: no-cache to conditional requests.
    const res = await request(`${base}${path}`, { method: method as "GET", headers, body: payload });
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value ?? ""]) out.append(name, v);
    }
    const raw = Buffer.from(await res.body.arrayBuffer());
    const body = raw.toString("utf8");
    return { status: res.statusCode, headers: out, body, raw, cacheStatus: out.get("cache-status") ?? "" };
  };
  return {
    gw,
    origin,
    path: (prefix = "/t") => `${prefix}-${randomUUID()}`,
    script(path, ...answers) {
      scripts.set(path, { answers, served: 0 });
    },
    calls: (path) =>
      origin.seen
        .filter((s) => s.url.split("?")[0] === path)
        .map((s) => ({ method: s.method, url: s.url, headers: s.headers })),
    get: (path, headers = {}, method = "GET", body = undefined) => send(gw.url, path, headers, method, body),
    getVia: (n, path, headers = {}, method = "GET") => send(gateways[n].url, path, headers, method),
    async close() {
      for (const g of gateways) await g.close();
      await origin.close();
    },
  };
}

/** True when the response came from the cache without going to the origin. */
export function isHit(got: Got): boolean {
  return /; hit/.test(got.cacheStatus) && !/fwd=/.test(got.cacheStatus);
}
