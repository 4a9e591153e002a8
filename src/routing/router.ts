// compileRouter: validates and precompiles every route, ranks every (route, host) pair once (order.ts),
// and files the pairs into per-host path indexes in rank order. Matching is in matcher.ts.
import { compileRoute } from "./compile-route.ts";
import { RouterConfigError } from "./errors.ts";
import { HostTable } from "./host-table.ts";
import { RouteMatcher } from "./matcher.ts";
import { type Candidate, compareCandidates, hostScore } from "./order.ts";
import type { Router, RouterEntry } from "./types.ts";

export { EMPTY_PARAMS } from "./matcher.ts";
export { RouterConfigError };

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

/**
 * Every route's compile error, not just the first, for callers that report all problems at once.
 * compileRouter stays the single source of truth: an empty list means it will not throw.
 */
export function validateRouterEntries<R>(entries: RouterEntry<R>[]): RouterConfigError[] {
  const errors: RouterConfigError[] = [];
  for (const entry of entries) {
    try {
      compileRoute(entry);
    } catch (err) {
      if (!(err instanceof RouterConfigError)) throw err;
      errors.push(err);
    }
  }
  return errors;
}
