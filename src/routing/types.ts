import type { RouteConfig } from "../config/schema.ts";

/** What the router needs to see of a request. */
export interface MatchInput {
  method: string;
  /** Lower-case host without port. */
  host: string;
  /** Normalized path (no query). */
  path: string;
  /** Raw query string without '?' ("" when none). Parsed lazily, only when some route matches on query. */
  query: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
}

export type MatchResult<R> =
  | {
      kind: "route";
      route: R;
      params: Record<string, string> /** The path to forward (strip/rewrite applied). */;
      upstreamPath: string;
    }
  | { kind: "not-found" }
  | { kind: "method-not-allowed"; allow: string[] };

export interface Router<R> {
  match(input: MatchInput): MatchResult<R>;
}

/** A route config plus the compiled payload (policy chain, upstream...) the router hands back. */
export interface RouterEntry<R> {
  config: RouteConfig;
  /** Index of the route in the config (the final tie-breaker: earlier wins). */
  index: number;
  payload: R;
}
