// The cache key of a request: method class, host, path, the chosen query parameters (sorted, so order
// does not split the cache), chosen headers and, when asked, the consumer. A response with Vary is stored
// under a variant key below its primary key (index.ts).
import type { RequestView } from "../../pipeline/types.ts";
import type { CacheOptions } from "./schema.ts";

export type CacheKeyFn = (req: RequestView) => string;

export function compileCacheKey(options: CacheOptions["key"], scope: string): CacheKeyFn {
  const query = options?.query ?? "all";
  const headers = (options?.headers ?? []).map((h) => h.toLowerCase());
  const consumer = options?.consumer === true;
  return (req) => {
    let key = `${scope}|${req.host}|${req.path}`;
    if (query === "all") key += sortedQuery(req.query);
    else if (query !== "none" && req.query !== "") {
      const kept = [...new URLSearchParams(req.query)].filter(([k]) => query.includes(k));
      key += sortedQuery(new URLSearchParams(kept).toString());
    }
    for (const h of headers) {
      const v = req.headers[h];
      key += `|${h}=${encodeURIComponent(Array.isArray(v) ? v.join(",") : (v ?? ""))}`;
    }
    if (consumer) key += `|c=${encodeURIComponent(req.identity?.consumer?.id ?? "-")}`;
    return key;
  };
}

function sortedQuery(query: string): string {
  if (query === "") return "";
  const params = [...new URLSearchParams(query)].sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0,
  );
  return params.length === 0 ? "" : `?${new URLSearchParams(params).toString()}`;
}

/**
 * The internal tag every entry for one URL carries, whatever its route, variant or consumer: what an
 * unsafe method invalidates (RFC 9111 §4.4). Surrogate keys are split on whitespace, so none has a space.
 */
export function urlTag(host: string, path: string, query: string): string {
  return `url ${host}${path}${sortedQuery(query)}`;
}

/**
 * Where a variant is stored: below its primary key, by the Vary field names and the request's values. The
 * name part is the same on every gateway, so gateways sharing a Redis store find each other's variants;
 * keys never contain a space, so `<key> vary=` is the prefix of exactly that key's variants.
 */
export function variantKey(key: string, fields: readonly string[], values: readonly string[]): string {
  return `${variantPrefix(key)}${fields.join(",")}|${values.map(encodeURIComponent).join("|")}`;
}

export function variantPrefix(key: string): string {
  return `${key} vary=`;
}
