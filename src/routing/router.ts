// compileRouter: validates and precompiles every route, ranks every (route, host) pair once (order.ts),
// and files the pairs into per-host path indexes in rank order. Matching is in matcher.ts.
import { compileRoute } from "./compile-route.ts";
import { HostTable } from "./host-table.ts";
import { RouteMatcher } from "./matcher.ts";
import { type Candidate, compareCandidates, hostScore } from "./order.ts";
import type { Router, RouterEntry } from "./types.ts";

export { RouterConfigError } from "./errors.ts";
export { EMPTY_PARAMS } from "./matcher.ts";

/** @throws RouterConfigError for the first route that cannot be compiled. */
export function compileRouter<R>(entries: RouterEntry<R>[]): Router<R> {
  const candidates: Candidate<R>[] = [];
  for (const entry of entries) {
    const route = compileRoute(entry);
    for (const host of route.hosts) candidates.push({ route, host, hostScore: hostScore(host) });
  }
  candidates.sort(compareCandidates);

  const table = new HostTable<R>();
  for (let rank = 0; rank < candidates.length; rank++) {
    const c = candidates[rank];
    table.indexFor(c.host).add({ route: c.route, rank });
  }
  let maxParams = 0;
  let maxDepth = 0;
  for (const index of table.all) {
    if (index.maxParams > maxParams) maxParams = index.maxParams;
    if (index.maxDepth > maxDepth) maxDepth = index.maxDepth;
  }
  return new RouteMatcher(table, maxParams, maxDepth);
}
