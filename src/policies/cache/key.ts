// The cache key of a request: method class, host, path, the chosen query parameters (sorted, so order
// does not split the cache), chosen headers and, when asked, the consumer. Vary is handled by the stored
// policy (a variant that does not match is a miss), not by the key.
import type { RequestView } from "../../pipeline/types.ts";
import type { CacheOptions } from "./schema.ts";

export type CacheKeyFn = (req: RequestView) => string;

export function compileCacheKey(options: CacheOptions["key"], scope: string): CacheKeyFn {
  const query = options?.query ?? "all";
  const headers = (options?.headers ?? []).map((h) => h.toLowerCase());
  const consumer = options?.consumer === true;
  return (req) => {
    let key = `${scope}|${req.host}|${req.path}`;
    if (query !== "none" && req.query !== "") {
      const params = [...new URLSearchParams(req.query)]
        .filter(([k]) => query === "all" || query.includes(k))
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      if (params.length > 0) key += `?${new URLSearchParams(params).toString()}`;
    }
    for (const h of headers) {
      const v = req.headers[h];
      key += `|${h}=${encodeURIComponent(Array.isArray(v) ? v.join(",") : (v ?? ""))}`;
    }
    if (consumer) key += `|c=${encodeURIComponent(req.identity?.consumer?.id ?? "-")}`;
    return key;
  };
}
