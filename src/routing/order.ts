// The selection order, in one place. Among all routes that match a request (host, path, headers, query
// and method), the winner is the first by:
//   1. priority, higher first;
//   2. host specificity: an exact host, then wildcards by suffix length ("*.a.example.com" before
//      "*.example.com"), then any host ("*" or no hosts);
//   3. path type: exact, then template, then prefix, then regex;
//   4. longer path literal (exact/prefix: the path; template: the characters outside parameters;
//      regex: its literal head, e.g. "/v2/" for "/v2/(.*)");
//   5. config order: the route that comes first in the file.
// A route listing several hosts is ranked once per host, so it competes with the specificity of the host
// that actually matched. Every (route, host) pair gets a rank from this order at compile time; matching
// then only has to find the smallest rank among the candidates, and skips whole lists and subtrees whose
// best rank cannot beat the one already found.
import type { CompiledRoute } from "./compile-route.ts";

export const EXACT_HOST = 100_000;
export const ANY_HOST = -1;

/** Exact > wildcard (by suffix length) > any. */
export function hostScore(host: string): number {
  if (host === "*") return ANY_HOST;
  return host.startsWith("*.") ? host.length - 1 : EXACT_HOST;
}

export interface Candidate<R> {
  route: CompiledRoute<R>;
  /** "*", "*.example.com" or an exact host. */
  host: string;
  hostScore: number;
}

export function compareCandidates<R>(a: Candidate<R>, b: Candidate<R>): number {
  return (
    b.route.priority - a.route.priority ||
    b.hostScore - a.hostScore ||
    b.route.kind - a.route.kind ||
    b.route.literalLength - a.route.literalLength ||
    a.route.index - b.route.index
  );
}
