// A shared HTTP cache (RFC 9111) for GET responses, with http-cache-semantics deciding storability,
// freshness, Vary and Age. This first cut serves fresh entries (HEAD from a stored GET), stores what may
// be stored, collapses concurrent misses and invalidates after unsafe methods; a stale entry is a miss
// (revalidation and stale-while-revalidate/if-error are the remaining work). It never serves one
// client's credentialed response to another (see semantics.ts).
import CachePolicy from "http-cache-semantics";
import {
  type LocalReply,
  PolicyConfigError,
  type PolicyDefinition,
  type RequestView,
} from "../../pipeline/types.ts";
import { compileCacheKey } from "./key.ts";
import { LazyRedisCacheStore } from "./lazy-redis.ts";
import { type CacheOptions, cacheSchema } from "./schema.ts";
import { flatHeaders, isUnsafe, mayStoreForOthers, policyRequest, requestDirectives } from "./semantics.ts";
import { MemoryCacheStore } from "./stores/memory.ts";
import type { CacheStore, StoredEntry } from "./stores/types.ts";

const NAME = "Portcullis";
/** How long a request waits for another one fetching the same key before going to the origin itself. */
const COLLAPSE_WAIT_MS = 10_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export const cachePolicy: PolicyDefinition<CacheOptions> = {
  name: "cache",
  phase: "cache",
  priority: 1000,
  schema: cacheSchema,
  create(options, ctx) {
    const scope = ctx.route === undefined ? "*" : encodeURIComponent(ctx.route);
    const key = compileCacheKey(options.key, scope);
    const keyHasConsumer = options.key?.consumer === true;
    const maxObjectBytes = options.maxObjectBytes ?? 1024 * 1024;
    const memoryBytes = options.memoryBytes ?? 64 * 1024 * 1024;
    if (maxObjectBytes > memoryBytes) {
      throw new PolicyConfigError(
        `${ctx.path}/maxObjectBytes`,
        `larger than the whole store (memoryBytes ${memoryBytes})`,
      );
    }
    const tagHeader = (options.tagHeader ?? "surrogate-key").toLowerCase();
    let store: CacheStore;
    const redis = ctx.services.redis;
    if (options.store === "redis") {
      if (redis === undefined)
        throw new PolicyConfigError(`${ctx.path}/store`, "store: redis needs the top-level redis section");
      const shared = ctx.services.shared(
        `cache redis ${JSON.stringify(redis)} ${maxObjectBytes}`,
        () => new LazyRedisCacheStore(redis, maxObjectBytes),
      );
      ctx.services.warmUp("cache redis", () => shared.connect(5000));
      store = shared;
    } else {
      store = ctx.services.shared(
        `cache memory ${memoryBytes}`,
        () => new MemoryCacheStore({ maxBytes: memoryBytes }),
      );
    }
    const statuses = new WeakMap<RequestView, string>();

    const storeCopy = (
      req: RequestView,
      k: string,
      copy: { status: number; headers: Record<string, string>; body: Buffer },
    ): Promise<void> => {
      const policy = new CachePolicy(
        policyRequest(req, k),
        { status: copy.status, headers: copy.headers },
        { shared: true },
      );
      if (!policy.storable() || !mayStoreForOthers(req, copy.headers, keyHasConsumer))
        return Promise.resolve();
      const ttl = policy.timeToLive();
      // Without revalidation yet, an entry that is stale at once would never be served.
      if (ttl <= 0 || copy.body.length > maxObjectBytes) return Promise.resolve();
      const tags = (copy.headers[tagHeader] ?? "").split(/\s+/).filter((t) => t !== "");
      const entry: StoredEntry = {
        meta: {
          status: copy.status,
          headers: Object.entries(copy.headers),
          policy: policy.toObject(),
          storedAt: Date.now(),
          tags,
        },
        body: copy.body,
      };
      return Promise.resolve(store.set(k, entry, ttl)).then(
        () => undefined,
        () => undefined,
      );
    };

    // Request collapsing: while one request for a key is at the origin, others for the same key wait for
    // it (at most COLLAPSE_WAIT_MS) and are then answered from what it stored; if it stored nothing (not
    // cacheable, another variant), they go to the origin themselves.
    const inflight = new Map<string, Promise<void>>();
    const lookup = (k: string): Promise<StoredEntry | undefined> =>
      Promise.resolve(store.get(k)).catch(() => undefined);
    /** The memory store answers at once; Redis is a promise, and its failures are misses. */
    const lookupNow = (k: string): StoredEntry | undefined | Promise<StoredEntry | undefined> => {
      try {
        const found = store.get(k);
        return found instanceof Promise ? found.catch(() => undefined) : found;
      } catch {
        return undefined;
      }
    };

    const serve = (req: RequestView, k: string, entry: StoredEntry | undefined): LocalReply | undefined => {
      if (entry !== undefined) {
        const policy = CachePolicy.fromObject(entry.meta.policy as CachePolicy.CachePolicyObject);
        // A HEAD is answered from the stored GET (RFC 9110 §9.3.2: the same header fields); the server
        // sends no body for HEAD, and Content-Length stays the GET's.
        const asked = policyRequest(req, k);
        if (
          policy.satisfiesWithoutRevalidation(req.method === "HEAD" ? { ...asked, method: "GET" } : asked)
        ) {
          const headers: Record<string, string> = { ...(policy.responseHeaders() as Record<string, string>) };
          delete headers.warning; // http-cache-semantics adds the obsolete Warning: 113
          headers["cache-status"] = `${NAME}; hit; ttl=${Math.floor(policy.timeToLive() / 1000)}`;
          return { status: entry.meta.status, headers, body: entry.body };
        }
      }
      return undefined;
    };

    const fetchAndStore = (req: RequestView, k: string, stale: boolean): undefined => {
      statuses.set(req, `${NAME}; fwd=${stale ? "stale" : "uri-miss"}`);
      let release: () => void = () => {};
      if (!inflight.has(k)) {
        const done = new Promise<void>((resolve) => {
          release = () => {
            inflight.delete(k);
            resolve();
          };
        });
        inflight.set(k, done);
      }
      req.captureResponse(maxObjectBytes, (copy) => {
        if (copy === undefined) return release();
        const headers = flatHeaders(copy.headers);
        void storeCopy(req, k, { status: copy.status, headers, body: copy.body }).then(release);
      });
      return undefined;
    };

    const answer = (
      req: RequestView,
      k: string,
      entry: StoredEntry | undefined,
    ): LocalReply | undefined | Promise<LocalReply | undefined> => {
      const hit = serve(req, k, entry);
      if (hit !== undefined) return hit;
      const leader = inflight.get(k);
      if (leader === undefined) return fetchAndStore(req, k, entry !== undefined);
      return Promise.race([leader, delay(COLLAPSE_WAIT_MS)])
        .then(() => lookup(k))
        .then((e) => {
          const collapsed = serve(req, k, e);
          if (collapsed === undefined) return fetchAndStore(req, k, e !== undefined);
          collapsed.headers = { ...collapsed.headers, "cache-status": `${NAME}; hit; collapsed` };
          return collapsed;
        });
    };

    return {
      onRequest(req) {
        const k = key(req);
        if (req.method === "HEAD") {
          // Served when a stored GET is fresh; otherwise forwarded (a HEAD response is not stored).
          const found = lookupNow(k);
          const reply = (e: StoredEntry | undefined) => {
            const hit = serve(req, k, e);
            if (hit === undefined) statuses.set(req, `${NAME}; fwd=method`);
            return hit;
          };
          return found instanceof Promise ? found.then(reply) : reply(found);
        }
        if (req.method !== "GET") {
          statuses.set(req, isUnsafe(req.method) ? `invalidate ${k}` : `${NAME}; fwd=method`);
          return undefined;
        }
        if (requestDirectives(req).has("no-store")) {
          statuses.set(req, `${NAME}; fwd=request`);
          return undefined;
        }
        const found = lookupNow(k);
        return found instanceof Promise ? found.then((e) => answer(req, k, e)) : answer(req, k, found);
      },
      onResponse(req, res) {
        const status = statuses.get(req);
        if (status === undefined) return;
        if (status.startsWith("invalidate ")) {
          // §4.4: a non-error answer to an unsafe method invalidates the stored response for its URL.
          if (!res.local && res.status >= 200 && res.status < 400) {
            void Promise.resolve(store.delete(status.slice("invalidate ".length))).catch(() => {});
          }
          return;
        }
        res.headers["cache-status"] = status;
      },
    };
  },
};
