// A shared HTTP cache (RFC 9111) in front of the route's upstream, with http-cache-semantics computing
// storability, freshness and age (semantics.ts normalizes what it reads). For a GET it serves fresh
// entries (a 304 when the client's validators match), revalidates stale ones with a conditional request
// and merges the 304, serves stale under stale-while-revalidate (revalidating in the background) and
// stale-if-error, stores variants per Vary, collapses concurrent misses, and invalidates a URL after a
// successful unsafe method (with its Location and Content-Location). A HEAD is answered from a fresh
// stored GET. A credentialed response is never served to another client unless it says it may be.
import CachePolicy from "http-cache-semantics";
import { problemReply } from "../../pipeline/problem-reply.ts";
import {
  type CapturedResponse,
  type HeaderBag,
  type LocalReply,
  PolicyConfigError,
  type PolicyDefinition,
  type RequestView,
  type ResponseView,
} from "../../pipeline/types.ts";
import { compileCacheKey, urlTag, variantKey } from "./key.ts";
import { LazyRedisCacheStore } from "./lazy-redis.ts";
import { type CacheOptions, cacheSchema } from "./schema.ts";
import {
  bagOf,
  clientHasCurrent,
  type Directives,
  flatHeaders,
  flatOf,
  isUnsafe,
  mayStoreForOthers,
  mergeNotModified,
  NOT_MODIFIED_FIELDS,
  normalizeResponse,
  pairsOf,
  policyRequest,
  requestDirectives,
  seconds,
  varyValue,
} from "./semantics.ts";
import { MemoryCacheStore } from "./stores/memory.ts";
import type { CacheStore, EntryMeta, StoredEntry } from "./stores/types.ts";

const NAME = "Portcullis";
/** How long a request waits for another one fetching the same key before going to the origin itself. */
const COLLAPSE_WAIT_MS = 10_000;
/** RFC 5861: the errors stale-if-error covers. */
const ERRORS = new Set([500, 502, 503, 504]);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** What a stored response means, worked out once per entry object (memory entries are reused). */
interface Reading {
  readonly policy: CachePolicy;
  /** The stored fields as a header bag (repeats as arrays), for replies. */
  readonly bag: HeaderBag;
  readonly flat: Record<string, string>;
  readonly prohibitsStale: boolean;
  readonly directives: Directives;
}

/** A request's business with the cache between its hooks. */
interface Pending {
  kind: "miss" | "revalidate" | "invalidate";
  key: string;
  /** The Vary marker found at the key, if any. */
  marker: StoredEntry | undefined;
  /** The stale entry being revalidated. */
  entry?: StoredEntry;
  status: string;
}

type MaybeReply = LocalReply | undefined;
type Mode = 0 | 1 | 2;
const GET: Mode = 0;
const COLLAPSED: Mode = 1;
const HEAD: Mode = 2;

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
    const keepStaleMs = options.keepStaleMs ?? 300_000;
    const surrogateControl = options.surrogateControl ?? true;
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
    const pending = new WeakMap<RequestView, Pending>();
    /** Per policy instance: a reading depends on its options (surrogateControl, tagHeader). */
    const readings = new WeakMap<EntryMeta, Reading>();
    /** Outcomes in portcullis_policy_events_total{policy="cache"}: hit, miss, revalidated... */
    const count = (event: string): void => ctx.services.count("cache", event);
    const inflight = new Map<string, Promise<void>>();

    const read = (entry: StoredEntry): Reading | undefined => {
      const meta = entry.meta;
      let r = readings.get(meta);
      if (r !== undefined) return r;
      const flat = flatOf(meta.headers);
      const norm = normalizeResponse(meta.status, flat, surrogateControl);
      if (norm === undefined || meta.policy === null) return undefined;
      const bag = bagOf(meta.headers);
      if (surrogateControl) delete bag["surrogate-control"];
      delete bag[tagHeader];
      r = {
        policy: CachePolicy.fromObject(meta.policy as CachePolicy.CachePolicyObject),
        bag,
        flat,
        prohibitsStale: norm.prohibitsStale,
        directives: norm.directives,
      };
      readings.set(meta, r);
      return r;
    };

    const lookup = (k: string): StoredEntry | undefined | Promise<StoredEntry | undefined> => {
      try {
        const found = store.get(k);
        return found instanceof Promise ? found.catch(() => undefined) : found;
      } catch {
        return undefined;
      }
    };

    /**
     * The entry for this request: the one at the key, or through a Vary marker its variant's; then
     * `decide` (GET, or GET again after waiting for another request) or `decideHead`.
     */
    const find = (req: RequestView, k: string, mode: Mode): MaybeReply | Promise<MaybeReply> => {
      const atKey = lookup(k);
      return atKey instanceof Promise
        ? atKey.then((found) => found2(req, k, mode, found))
        : found2(req, k, mode, atKey);
    };
    const found2 = (req: RequestView, k: string, mode: Mode, found: StoredEntry | undefined) => {
      const vary = found?.meta.vary;
      if (vary === undefined) return settle(req, k, mode, undefined, found);
      const variant = lookup(
        variantKey(
          k,
          vary.fields,
          vary.fields.map((f) => varyValue(req, f)),
        ),
      );
      return variant instanceof Promise
        ? variant.then((e) => settle(req, k, mode, found, e))
        : settle(req, k, mode, found, variant);
    };
    const settle = (
      req: RequestView,
      k: string,
      mode: Mode,
      marker: StoredEntry | undefined,
      entry: StoredEntry | undefined,
    ): MaybeReply | Promise<MaybeReply> =>
      mode === HEAD ? decideHead(req, entry) : decide(req, k, marker, entry, mode === COLLAPSED);

    // ---- Storing -------------------------------------------------------------------------------------

    const save = (slot: string, entry: StoredEntry, ttl: number): Promise<void> =>
      Promise.resolve(store.set(slot, entry, ttl)).then(
        () => undefined,
        () => undefined,
      );

    /** Stores a response (a miss's, or a revalidated one) when RFC 9111 and the credential rule allow. */
    const storeResponse = (
      req: RequestView,
      p: Pending,
      status: number,
      pairs: [string, string][],
      body: Buffer,
    ): Promise<void> => {
      const flat = flatOf(pairs);
      const norm = normalizeResponse(status, flat, surrogateControl);
      if (norm === undefined || !mayStoreForOthers(req, norm.directives, keyHasConsumer))
        return Promise.resolve();
      if (body.length > maxObjectBytes) return Promise.resolve();
      const policy = new CachePolicy(policyRequest(req, p.key, "GET"), norm, { shared: true });
      if (!policy.storable()) return Promise.resolve();
      const hasValidator = flat.etag !== undefined || flat["last-modified"] !== undefined;
      const ttl = policy.timeToLive() + (hasValidator ? keepStaleMs : 0);
      if (ttl <= 0) return Promise.resolve();
      const tags = (flat[tagHeader] ?? "").split(/\s+/).filter((t) => t !== "");
      tags.push(urlTag(req.host, req.path, req.query));
      const entry: StoredEntry = {
        meta: { status, headers: pairs, policy: policy.toObject(), storedAt: Date.now(), tags },
        body,
      };
      const fields = (flat.vary ?? "")
        .split(",")
        .map((f) => f.trim().toLowerCase())
        .filter((f) => f !== "");
      if (fields.length === 0) return save(p.key, entry, ttl);
      // A Vary marker at the key, variants below it.
      const marker: StoredEntry = {
        meta: { status: 0, headers: [], policy: null, storedAt: Date.now(), tags, vary: { fields } },
        body: Buffer.alloc(0),
      };
      const slot = variantKey(
        p.key,
        fields,
        fields.map((f) => varyValue(req, f)),
      );
      // The marker is tiny: it outlives its variants rather than hiding one that lives longer.
      return Promise.all([
        save(p.key, marker, Math.max(ttl, keepStaleMs, 3_600_000)),
        save(slot, entry, ttl),
      ]).then(() => undefined);
    };

    /** The capture of a forwarded GET: a new response is stored; a 304 updates the entry revalidated. */
    const onCopy = (req: RequestView, p: Pending, copy: CapturedResponse | undefined): Promise<void> => {
      if (copy === undefined) return Promise.resolve();
      if (copy.status !== 304) return storeResponse(req, p, copy.status, pairsOf(copy.headers), copy.body);
      const entry = p.entry;
      if (entry === undefined) return Promise.resolve();
      const reading = read(entry);
      if (reading === undefined || !validatorMatches(reading.flat, flatHeaders(copy.headers)))
        return Promise.resolve();
      return storeResponse(
        req,
        p,
        entry.meta.status,
        mergeNotModified(entry.meta.headers, copy.headers),
        entry.body,
      );
    };

    /** Marks the key as being fetched (others wait for it) and asks for the response to store. */
    const lead = (req: RequestView, p: Pending): void => {
      pending.set(req, p);
      let release = () => {};
      if (!inflight.has(p.key)) {
        const k = p.key;
        inflight.set(
          k,
          new Promise<void>((resolve) => {
            release = () => {
              inflight.delete(k);
              resolve();
            };
          }),
        );
      }
      req.captureResponse(maxObjectBytes, (copy) => {
        void onCopy(req, p, copy).then(release);
      });
    };

    // ---- Serving -------------------------------------------------------------------------------------

    /** A reply from a stored entry: a 304 when the client's validators match, else the stored response. */
    const reply = (req: RequestView, entry: StoredEntry, r: Reading, status: string): LocalReply => {
      const headers: HeaderBag = {
        ...r.bag,
        age: String(Math.floor(r.policy.age())),
        "cache-status": status,
      };
      if (req.method === "GET" && hasConditional(req) && clientHasCurrent(req, r.flat)) {
        return { status: 304, headers: notModifiedHeaders(headers) };
      }
      return { status: entry.meta.status, headers, body: entry.body };
    };

    /** Revalidates a stale entry with the upstream: the client's request, made conditional on ours. */
    const revalidate = (req: RequestView, p: Pending, r: Reading, why: string): undefined => {
      const h = req.upstreamHeaders;
      delete h["if-none-match"];
      delete h["if-modified-since"];
      const etag = r.flat.etag;
      const lastModified = r.flat["last-modified"];
      if (etag !== undefined) h["if-none-match"] = etag;
      else if (lastModified !== undefined) h["if-modified-since"] = lastModified;
      p.kind = "revalidate";
      p.status = `${NAME}; fwd=${why}`;
      lead(req, p);
      return undefined;
    };

    const decide = (
      req: RequestView,
      k: string,
      marker: StoredEntry | undefined,
      entry: StoredEntry | undefined,
      collapsed: boolean,
    ): MaybeReply | Promise<MaybeReply> => {
      const rcc = requestDirectives(req);
      const r = entry === undefined ? undefined : read(entry);
      if (entry === undefined || r === undefined) {
        const p: Pending = { kind: "miss", key: k, marker, status: "" };
        if (rcc.has("only-if-cached")) return problemReply("NOT_CACHED");
        const leader = inflight.get(k);
        if (leader !== undefined && !collapsed) {
          // Another request is fetching this key: wait for it, then look again (once).
          return Promise.race([leader, delay(COLLAPSE_WAIT_MS)]).then(() => find(req, k, COLLAPSED));
        }
        p.status = `${NAME}; fwd=${marker === undefined ? "uri-miss" : "vary-miss"}`;
        count("miss");
        lead(req, p);
        return undefined;
      }
      const age = r.policy.age();
      const life = r.policy.maxAge();
      const left = life - age;
      const fresh = left > 0;
      const forced =
        rcc.has("no-cache") ||
        (seconds(rcc, "max-age") !== undefined && age > (seconds(rcc, "max-age") as number)) ||
        (seconds(rcc, "min-fresh") !== undefined && left < (seconds(rcc, "min-fresh") as number));
      if (!forced) {
        const maxStale = rcc.get("max-stale");
        const staleOk =
          !r.prohibitsStale &&
          maxStale !== undefined &&
          (maxStale === true || (seconds(rcc, "max-stale") ?? -1) >= -left);
        if (fresh || staleOk) {
          count("hit");
          const hit = reply(req, entry, r, `${NAME}; hit; ttl=${Math.floor(left)}`);
          if (collapsed) hit.headers = { ...hit.headers, "cache-status": `${NAME}; hit; collapsed` };
          return hit;
        }
        const swr = seconds(r.directives, "stale-while-revalidate") ?? 0;
        if (!r.prohibitsStale && -left < swr) {
          count("stale-while-revalidate");
          const stale = reply(
            req,
            entry,
            r,
            `${NAME}; hit; ttl=${Math.floor(left)}; detail=stale-while-revalidate`,
          );
          if (!inflight.has(k))
            stale.background = (bg) =>
              void revalidate(bg, { kind: "revalidate", key: k, marker, entry, status: "" }, r, "stale");
          return stale;
        }
      }
      if (rcc.has("only-if-cached")) return problemReply("NOT_CACHED");
      const leader = inflight.get(k);
      if (leader !== undefined && !collapsed && !forced) {
        return Promise.race([leader, delay(COLLAPSE_WAIT_MS)]).then(() => find(req, k, COLLAPSED));
      }
      return revalidate(
        req,
        { kind: "revalidate", key: k, marker, entry, status: "" },
        r,
        forced ? "request" : "stale",
      );
    };

    /** A HEAD is answered from a fresh stored GET (RFC 9110 §9.3.2: the same fields), else forwarded. */
    const decideHead = (req: RequestView, entry: StoredEntry | undefined): MaybeReply => {
      const r = entry === undefined ? undefined : read(entry);
      const rcc = requestDirectives(req);
      if (entry !== undefined && r !== undefined) {
        const left = r.policy.maxAge() - r.policy.age();
        if (left > 0 && !rcc.has("no-cache") && !rcc.has("max-age") && !rcc.has("min-fresh")) {
          count("hit");
          return reply(req, entry, r, `${NAME}; hit; ttl=${Math.floor(left)}`);
        }
      }
      if (rcc.has("only-if-cached")) return problemReply("NOT_CACHED");
      pending.set(req, { kind: "miss", key: "", marker: undefined, status: `${NAME}; fwd=method` });
      return undefined;
    };

    // ---- Responses to revalidations, and invalidation -------------------------------------------------

    const onRevalidated = (req: RequestView, res: ResponseView, p: Pending): void => {
      const entry = p.entry as StoredEntry;
      const r = read(entry) as Reading;
      if (!res.local && res.status === 304) {
        // RFC 9111 §4.3.4: the stored response, with the 304's fields replacing the stored ones.
        const merged = mergeNotModified(entry.meta.headers, res.headers);
        replaceHeaders(res, bagOf(merged));
        res.headers.age = "0";
        res.headers["cache-status"] = `${p.status}; fwd-status=304`;
        count("revalidated");
        if (req.method === "GET" && hasConditional(req) && clientHasCurrent(req, flatHeaders(res.headers))) {
          const keep = notModifiedHeaders(res.headers);
          replaceHeaders(res, keep);
          return;
        }
        res.status = entry.meta.status;
        res.body = entry.body;
        return;
      }
      const sie = Math.max(
        seconds(r.directives, "stale-if-error") ?? 0,
        seconds(requestDirectives(req), "stale-if-error") ?? 0,
      );
      const left = r.policy.maxAge() - r.policy.age();
      if (ERRORS.has(res.status) && !r.prohibitsStale && -left < sie) {
        // RFC 5861 §4: the upstream failed; the stale response is better than the error.
        const upstreamStatus = res.status;
        count("stale-if-error");
        const hit = reply(
          req,
          entry,
          r,
          `${NAME}; fwd=stale; fwd-status=${upstreamStatus}; detail=stale-if-error`,
        );
        replaceHeaders(res, hit.headers ?? {});
        res.status = hit.status;
        res.body = (hit.body as Buffer | undefined) ?? Buffer.alloc(0);
        return;
      }
      res.headers["cache-status"] = `${p.status}; fwd-status=${res.status}`;
      count("refetched");
    };

    const purgeUrl = (tag: string): void => {
      void Promise.resolve(store.purgeTag(tag)).catch(() => {});
    };

    /**
     * §4.4: a non-error answer to an unsafe method invalidates the URL, and the URLs in Location and
     * Content-Location when they have the same origin. Only then: purging on any unsafe request would let
     * anyone evict the cache with requests the origin refuses.
     */
    const invalidate = (req: RequestView, res: ResponseView): void => {
      if (res.local || res.status < 200 || res.status >= 400) return;
      purgeUrl(urlTag(req.host, req.path, req.query));
      const authority = req.headers.host ?? req.headers[":authority"];
      let base: URL;
      try {
        base = new URL(`${req.protocol}://${typeof authority === "string" ? authority : req.host}`);
      } catch {
        return;
      }
      for (const name of ["location", "content-location"]) {
        const v = res.headers[name];
        if (typeof v !== "string") continue;
        try {
          const u = new URL(v, base);
          if (u.origin === base.origin) purgeUrl(urlTag(req.host, u.pathname, u.search.slice(1)));
        } catch {
          // Not a URL: nothing to invalidate.
        }
      }
    };

    return {
      onRequest(req) {
        const method = req.method;
        if (method === "GET") {
          if (requestDirectives(req).has("no-store")) {
            count("bypass");
            pending.set(req, { kind: "miss", key: "", marker: undefined, status: `${NAME}; fwd=request` });
            return undefined;
          }
          const k = key(req);
          return find(req, k, GET);
        }
        if (method === "HEAD") return find(req, key(req), HEAD);
        pending.set(req, {
          kind: isUnsafe(method) ? "invalidate" : "miss",
          key: "",
          marker: undefined,
          status: `${NAME}; fwd=method`,
        });
        return undefined;
      },
      onResponse(req, res) {
        const p = pending.get(req);
        if (p === undefined) return;
        if (p.kind === "revalidate") onRevalidated(req, res, p);
        else {
          if (p.kind === "invalidate") invalidate(req, res);
          res.headers["cache-status"] = p.status;
        }
        // Both are meant for this cache, not for clients (hits are built without them).
        if (surrogateControl) delete res.headers["surrogate-control"];
        delete res.headers[tagHeader];
      },
    };
  },
};

function hasConditional(req: RequestView): boolean {
  return req.headers["if-none-match"] !== undefined || req.headers["if-modified-since"] !== undefined;
}

/** The fields a 304 keeps (RFC 9110 §15.4.5), with the cache's own. */
function notModifiedHeaders(headers: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  for (const name of NOT_MODIFIED_FIELDS) if (headers[name] !== undefined) out[name] = headers[name];
  for (const name of ["age", "cache-status", "last-modified", "x-request-id"])
    if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

/** The response's fields become `bag`'s (a separate object), the gateway's request id kept. */
function replaceHeaders(res: ResponseView, bag: Readonly<HeaderBag>): void {
  const id = res.headers["x-request-id"];
  for (const name in res.headers) delete res.headers[name];
  Object.assign(res.headers, bag);
  if (id !== undefined) res.headers["x-request-id"] = id;
}

/** RFC 9111 §4.3.4: a 304 updates the stored response only when its validator selects it. */
function validatorMatches(stored: Record<string, string>, fresh: Record<string, string>): boolean {
  const etag = fresh.etag;
  if (etag !== undefined) {
    const mine = stored.etag;
    return mine !== undefined && mine.replace(/^W\//i, "") === etag.replace(/^W\//i, "");
  }
  const lm = fresh["last-modified"];
  if (lm !== undefined) return stored["last-modified"] === lm;
  // No validator in the 304: it answers the conditional request made from this entry's own validators.
  return true;
}
