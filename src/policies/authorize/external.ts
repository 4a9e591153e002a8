// The external authorization call (after Envoy's HTTP ext_authz): the gateway POSTs the request's
// metadata as JSON; a 2xx answer allows, 401/403 denies, anything else (or no answer within the timeout)
// is a failure handled by the failure mode. Decisions may be cached for a short time.
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { Agent, type Dispatcher, request } from "undici";
import type { Closable, HeaderBag, RequestView } from "../../pipeline/types.ts";
import type { ExternalOptions } from "./schema.ts";

export type Decision =
  | { kind: "allow"; headers: readonly (readonly [string, string])[] }
  | { kind: "deny" }
  | { kind: "error"; reason: string };

/** One connection pool per authorization service, shared by every route and plan that calls it. */
export class AuthzClient implements Closable {
  readonly agent: Dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  calls = 0;
  close(): void {
    void this.agent.close();
  }
}

export class ExternalAuthz {
  readonly #o: ExternalOptions;
  readonly #client: AuthzClient;
  readonly #timeoutMs: number;
  readonly #requestHeaders: readonly string[];
  /** Headers an allowing answer may set upstream (lower case); no other source may set them. */
  readonly upstreamHeaders: readonly string[];
  readonly #cache: LRUCache<string, Decision> | undefined;

  constructor(options: ExternalOptions, client: AuthzClient) {
    this.#o = options;
    this.#client = client;
    this.#timeoutMs = options.timeoutMs ?? 200;
    this.#requestHeaders = (options.requestHeaders ?? []).map((h) => h.toLowerCase());
    this.upstreamHeaders = (options.upstreamHeaders ?? []).map((h) => h.toLowerCase());
    const ttl = options.cacheTtlMs ?? 0;
    this.#cache = ttl > 0 ? new LRUCache({ max: 10_000, ttl }) : undefined;
  }

  get failOpen(): boolean {
    return this.#o.failureMode === "open";
  }

  decide(req: RequestView): Decision | Promise<Decision> {
    const body = JSON.stringify(this.#metadata(req));
    const key = this.#cache === undefined ? "" : createHash("sha256").update(body).digest("base64url");
    const hit = this.#cache?.get(key);
    if (hit !== undefined) return hit;
    return this.#call(body).then((d) => {
      // Failures are not cached: the next request asks again.
      if (d.kind !== "error") this.#cache?.set(key, d);
      return d;
    });
  }

  #metadata(req: RequestView) {
    const headers: Record<string, string> = {};
    for (const name of this.#requestHeaders) {
      const v = req.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(", ") : v;
    }
    const id = req.identity;
    return {
      request: { method: req.method, host: req.host, path: req.path, query: req.query, headers },
      source: { address: req.clientIp },
      route: req.routeName,
      identity:
        id === undefined
          ? null
          : {
              method: id.method,
              subject: id.subject,
              consumer: id.consumer?.name ?? null,
              scopes: [...id.scopes],
              groups: [...id.groups],
              claims: id.claims,
            },
    };
  }

  async #call(body: string): Promise<Decision> {
    this.#client.calls++;
    try {
      const res = await request(this.#o.url, {
        method: "POST",
        dispatcher: this.#client.agent,
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      await res.body.dump({ limit: 64 * 1024 });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        return { kind: "allow", headers: this.#pick(res.headers as HeaderBag) };
      }
      if (res.statusCode === 401 || res.statusCode === 403) return { kind: "deny" };
      return { kind: "error", reason: `status ${res.statusCode}` };
    } catch (err) {
      const e = err as Error & { code?: string };
      return {
        kind: "error",
        reason: e.name === "TimeoutError" ? `no answer within ${this.#timeoutMs} ms` : (e.code ?? e.name),
      };
    }
  }

  #pick(headers: HeaderBag): (readonly [string, string])[] {
    const out: (readonly [string, string])[] = [];
    for (const name of this.upstreamHeaders) {
      const v = headers[name];
      if (typeof v === "string") out.push([name, v]);
    }
    return out;
  }
}
