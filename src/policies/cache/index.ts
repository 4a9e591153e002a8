// A shared HTTP cache (RFC 9111) for GET responses, with http-cache-semantics deciding storability,
// freshness, Vary and Age. This first cut serves fresh entries and stores what may be stored; a stale
// entry is a miss (revalidation, stale-while-revalidate/if-error, collapsing and purge are the issue's
// remaining work). It never serves one client's credentialed response to another (see semantics.ts).
import CachePolicy from "http-cache-semantics";
import {
  type LocalReply,
  PolicyConfigError,
  type PolicyDefinition,
  type RequestView,
} from "../../pipeline/types.ts";
import { compileCacheKey } from "./key.ts";
import { type CacheOptions, cacheSchema } from "./schema.ts";
import { flatHeaders, isUnsafe, mayStoreForOthers, policyRequest, requestDirectives } from "./semantics.ts";
import { MemoryCacheStore } from "./stores/memory.ts";
import type { CacheStore, StoredEntry } from "./stores/types.ts";

const NAME = "Portcullis";

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
    const store: CacheStore = ctx.services.shared(
      `cache memory ${options.memoryBytes ?? 0}`,
      () => new MemoryCacheStore({ maxBytes: memoryBytes }),
    );
    const statuses = new WeakMap<RequestView, string>();

    const storeCopy = (
      req: RequestView,
      k: string,
      copy: { status: number; headers: Record<string, string>; body: Buffer },
    ) => {
      const policy = new CachePolicy(
        policyRequest(req, k),
        { status: copy.status, headers: copy.headers },
        { shared: true },
      );
      if (!policy.storable() || !mayStoreForOthers(req, copy.headers, keyHasConsumer)) return;
      const ttl = policy.timeToLive();
      // Without revalidation yet, an entry that is stale at once would never be served.
      if (ttl <= 0 || copy.body.length > maxObjectBytes) return;
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
      void Promise.resolve(store.set(k, entry, ttl)).catch(() => {});
    };

    const answer = (req: RequestView, k: string, entry: StoredEntry | undefined): LocalReply | undefined => {
      if (entry !== undefined) {
        const policy = CachePolicy.fromObject(entry.meta.policy as CachePolicy.CachePolicyObject);
        if (policy.satisfiesWithoutRevalidation(policyRequest(req, k))) {
          const headers: Record<string, string> = { ...(policy.responseHeaders() as Record<string, string>) };
          delete headers.warning; // http-cache-semantics adds the obsolete Warning: 113
          headers["cache-status"] = `${NAME}; hit; ttl=${Math.floor(policy.timeToLive() / 1000)}`;
          return { status: entry.meta.status, headers, body: entry.body };
        }
      }
      statuses.set(req, `${NAME}; fwd=${entry === undefined ? "uri-miss" : "stale"}`);
      req.captureResponse(maxObjectBytes, (copy) => {
        if (copy !== undefined)
          storeCopy(req, k, { status: copy.status, headers: flatHeaders(copy.headers), body: copy.body });
      });
      return undefined;
    };

    return {
      onRequest(req) {
        const k = key(req);
        if (req.method !== "GET") {
          statuses.set(req, isUnsafe(req.method) ? `invalidate ${k}` : `${NAME}; fwd=method`);
          return undefined;
        }
        if (requestDirectives(req).has("no-store")) {
          statuses.set(req, `${NAME}; fwd=request`);
          return undefined;
        }
        let found: ReturnType<CacheStore["get"]>;
        try {
          found = store.get(k);
        } catch {
          found = undefined;
        }
        return found instanceof Promise
          ? found.then(
              (e) => answer(req, k, e),
              () => answer(req, k, undefined),
            )
          : answer(req, k, found);
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
