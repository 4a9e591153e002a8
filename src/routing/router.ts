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
  const steps = compileRouterSteps(entries);
  for (;;) {
    const next = steps.next();
    if (!next.done) continue;
    if (next.value.router === undefined) throw next.value.errors[0];
    return next.value.router;
  }
}

/** Work done between two yields: small enough to keep each slice of a sliced compile short. */
const ROUTES_PER_STEP = 64;

/**
 * compileRouter as steps (see src/config/slicing.ts): yields every few dozen routes so a reload can give
 * the event loop back. Collects every route's error; `router` is set only when there are none.
 */
export function* compileRouterSteps<R>(
  entries: RouterEntry<R>[],
): Generator<void, { router: Router<R> | undefined; errors: RouterConfigError[] }, void> {
  const candidates: Candidate<R>[] = [];
  const errors: RouterConfigError[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (i % ROUTES_PER_STEP === ROUTES_PER_STEP - 1) yield;
    let route: ReturnType<typeof compileRoute<R>>;
    try {
      route = compileRoute(entries[i]);
    } catch (err) {
      if (!(err instanceof RouterConfigError)) throw err;
      errors.push(err);
      continue;
    }
    for (const host of route.hosts) candidates.push({ route, host, hostScore: hostScore(host) });
  }
  if (errors.length > 0) return { router: undefined, errors };
  candidates.sort(compareCandidates);
  yield;

  const table = new HostTable<R>();
  for (let rank = 0; rank < candidates.length; rank++) {
    if (rank % ROUTES_PER_STEP === ROUTES_PER_STEP - 1) yield;
    const c = candidates[rank];
    table.indexFor(c.host).add({ route: c.route, rank });
  }
  let maxParams = 0;
  let maxDepth = 0;
  for (const index of table.all) {
    if (index.maxParams > maxParams) maxParams = index.maxParams;
    if (index.maxDepth > maxDepth) maxDepth = index.maxDepth;
  }
  return { router: new RouteMatcher(table, maxParams, maxDepth), errors };
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
