// The generated route mix both config benchmarks use (router.bench.ts, reload.bench.ts): 50 exact hosts,
// 10 wildcard hosts and any host; 30% exact, 30% prefix, 35% template and 5% regex paths; some method
// and header conditions and priorities.
import type { RouteConfig } from "../../src/config/schema.ts";

export const EXACT_HOSTS = 50;
export const WILDCARD_HOSTS = 10;
/** Route i's host group: 0-49 exact hosts, 50-59 wildcard suffixes, 60 any host. */
export const HOST_GROUPS = EXACT_HOSTS + WILDCARD_HOSTS + 1;

export function hostsOf(i: number): string[] | undefined {
  const g = i % HOST_GROUPS;
  if (g < EXACT_HOSTS) return [`svc${g}.example.com`];
  if (g < EXACT_HOSTS + WILDCARD_HOSTS) return [`*.tenant${g - EXACT_HOSTS}.example.com`];
  return undefined;
}

export function mixedRoute(i: number, upstream: string): RouteConfig {
  const kind = i % 20;
  const base = `/api/v${i % 3}/res${i}`;
  const match: RouteConfig["match"] =
    kind < 6
      ? { path: `${base}/status`, pathType: "exact" }
      : kind < 12
        ? { path: base, pathType: "prefix" }
        : kind < 19
          ? { path: `${base}/:id/parts/:partId`, pathType: "template" }
          : { path: `/re${i}/(?<year>\\d{4})/(?<slug>[a-z-]+)`, pathType: "regex" };
  const hosts = hostsOf(i);
  if (hosts) match.hosts = hosts;
  if (i % 7 === 0) match.methods = ["GET", "POST"];
  if (i % 11 === 0) match.headers = { "x-tenant": { present: true } };
  const route: RouteConfig = { name: `r${i}`, upstream, match };
  if (i % 13 === 0) route.priority = 1;
  return route;
}
