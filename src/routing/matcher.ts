// The hot path. One RouteMatcher per compiled router; it keeps its scratch state in fields because a
// match runs synchronously to completion (nothing in it can re-enter the router). The path is scanned
// once, lazily, into segment offsets and hashes that every trie of every host group reuses. Per request
// it allocates the result object and, only when the winner has params, the params object and its values.
import type { CompiledRoute } from "./compile-route.ts";
import type { HostTable } from "./host-table.ts";
import type { PathIndex, PrefixNode, Reg, TemplateNode } from "./path-index.ts";
import { EXACT, PREFIX, TEMPLATE } from "./path-pattern.ts";
import { applyRewrite, replacePrefix, stripPrefix } from "./rewrite.ts";
import { FNV_SEED, finishHash, hashStep } from "./slice-map.ts";
import type { MatchInput, MatchResult, Router } from "./types.ts";
import { headersMatch, queryMatches } from "./value-match.ts";

const NOT_FOUND = Object.freeze({ kind: "not-found" as const });
/** Shared by every param-less match; frozen so that a consumer writing to it fails loudly. */
export const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NONE = Number.POSITIVE_INFINITY;
const IDLE: MatchInput = Object.freeze({ method: "", host: "", path: "/", query: "", headers: {} });
const SLASH = 47;

export class RouteMatcher<R> implements Router<R> {
  private readonly hosts: HostTable<R>;
  private readonly indexes: PathIndex<R>[] = [];
  private readonly prefixStack: PrefixNode<R>[] = [];
  private readonly spans: Int32Array;
  private readonly bestSpans: Int32Array;
  /** Segments past this many cannot match any trie node, so they are never scanned. */
  private readonly segLimit: number;
  private readonly segStart: Int32Array;
  private readonly segEnd: Int32Array;
  private readonly segHash: Int32Array;

  // Per-match state, reset at the start of every match.
  private input: MatchInput = IDLE;
  private query: URLSearchParams | null = null;
  private bestRank = NONE;
  private best: Reg<R> | null = null;
  private methodMiss = false;
  /** Non-null only during the second pass that computes Allow for a 405. */
  private allow: Set<string> | null = null;
  private segCount = -1;
  /** The path has more segments than segLimit. */
  private segTruncated = false;

  constructor(hosts: HostTable<R>, maxParams: number, maxDepth: number) {
    this.hosts = hosts;
    this.spans = new Int32Array(2 * maxParams + 2);
    this.bestSpans = new Int32Array(2 * maxParams + 2);
    this.segLimit = maxDepth + 1;
    this.segStart = new Int32Array(this.segLimit);
    this.segEnd = new Int32Array(this.segLimit);
    this.segHash = new Int32Array(this.segLimit);
  }

  match(input: MatchInput): MatchResult<R> {
    // Only origin-form paths are routable ("*" of OPTIONS * and absolute forms are not).
    if (input.path.charCodeAt(0) !== SLASH) return NOT_FOUND;
    const result = this.run(input);
    this.input = IDLE; // do not keep the last request's headers alive
    this.query = null;
    return result;
  }

  private run(input: MatchInput): MatchResult<R> {
    this.input = input;
    this.query = null;
    this.bestRank = NONE;
    this.best = null;
    this.methodMiss = false;
    this.segCount = -1;
    this.search();
    const best = this.best as Reg<R> | null;
    if (best !== null) return this.result(best.route, input.path);
    if (!this.methodMiss) return NOT_FOUND;
    // Rare path: walk the same candidates again, this time collecting the methods they allow.
    const allow = new Set<string>();
    this.allow = allow;
    try {
      this.search();
    } finally {
      this.allow = null;
    }
    return { kind: "method-not-allowed", allow: [...allow].sort() };
  }

  private search(): void {
    const n = this.hosts.resolve(this.input.host, this.indexes);
    for (let i = 0; i < n; i++) {
      const index = this.indexes[i];
      if (index.minRank < this.bestRank) this.searchIndex(index);
    }
  }

  /** Records where each segment starts and ends, and its hash, in one pass over the path. */
  private scanSegments(path: string): void {
    const n = path.length;
    let k = 0;
    let start = 1;
    this.segTruncated = false;
    for (;;) {
      if (k === this.segLimit) {
        this.segTruncated = true;
        break;
      }
      let h = FNV_SEED;
      let i = start;
      for (; i < n; i++) {
        const c = path.charCodeAt(i);
        if (c === SLASH) break;
        h = hashStep(h, c);
      }
      this.segStart[k] = start;
      this.segEnd[k] = i;
      this.segHash[k] = finishHash(h);
      k++;
      if (i >= n) break;
      start = i + 1;
    }
    this.segCount = k;
  }

  private searchIndex(index: PathIndex<R>): void {
    const path = this.input.path;
    if (index.exact.size > 0) {
      const list = index.exact.get(path);
      if (list !== undefined) this.consider(list);
    }
    if (index.templateRoot !== null || index.prefixRoot !== null || index.regexBySegment.size > 0) {
      if (this.segCount < 0) this.scanSegments(path);
      if (index.templateRoot !== null) this.searchTemplate(index.templateRoot, path, 0, 0);
      if (index.prefixRoot !== null) this.searchPrefix(index.prefixRoot, path);
      if (index.regexBySegment.size > 0) {
        const list = index.regexBySegment.get(path, this.segStart[0], this.segEnd[0], this.segHash[0]);
        if (list !== undefined) this.considerRegex(list, path);
      }
    }
    if (index.regexRest.length > 0) this.considerRegex(index.regexRest, path);
  }

  /** Collects the prefix nodes along the path, then tries the deepest (most specific) first. */
  private searchPrefix(root: PrefixNode<R>, path: string): void {
    const stack = this.prefixStack;
    let n = 0;
    stack[n++] = root;
    let node = root;
    for (let k = 0; k < this.segCount && node.children !== null; k++) {
      const child = node.children.get(path, this.segStart[k], this.segEnd[k], this.segHash[k]);
      if (child === undefined) break;
      stack[n++] = child;
      node = child;
    }
    for (let i = n - 1; i >= 0; i--) {
      const routes = stack[i].routes;
      if (routes !== null) this.consider(routes);
    }
  }

  /**
   * Depth-first over static, then param, then catch-all children. All branches are explored because a
   * param route may outrank a static one (priority); `minRank` prunes subtrees that cannot win.
   * `k` is the segment to consume next; `ord` the number of params captured so far.
   */
  private searchTemplate(node: TemplateNode<R>, path: string, k: number, ord: number): void {
    if (node.minRank >= this.bestRank) return;
    if (k === this.segCount) {
      // A truncated scan means more segments than any template has: nothing ends here.
      if (!this.segTruncated && node.terminal !== null && this.consider(node.terminal)) this.keepSpans(ord);
      return;
    }
    const start = this.segStart[k];
    const end = this.segEnd[k];
    if (node.statics !== null) {
      const child = node.statics.get(path, start, end, this.segHash[k]);
      if (child !== undefined) this.searchTemplate(child, path, k + 1, ord);
    }
    if (node.param !== null && end > start) {
      this.spans[2 * ord] = start;
      this.spans[2 * ord + 1] = end;
      this.searchTemplate(node.param, path, k + 1, ord + 1);
    }
    if (node.catchAll !== null) {
      this.spans[2 * ord] = start;
      this.spans[2 * ord + 1] = path.length;
      if (this.consider(node.catchAll)) this.keepSpans(ord + 1);
    }
  }

  private keepSpans(count: number): void {
    for (let i = 0; i < 2 * count; i++) this.bestSpans[i] = this.spans[i];
  }

  private considerRegex(list: Reg<R>[], path: string): void {
    for (let i = 0; i < list.length; i++) {
      const reg = list[i];
      if (reg.rank >= this.bestRank) return;
      const r = reg.route;
      if (!path.startsWith(r.regexLiteral) || !r.regex!.test(path)) continue;
      if (this.accepts(reg)) return;
    }
  }

  /** Lists are in rank order: the first acceptable entry is the list's best. */
  private consider(list: Reg<R>[]): boolean {
    for (let i = 0; i < list.length; i++) {
      const reg = list[i];
      if (reg.rank >= this.bestRank) return false;
      if (this.accepts(reg)) return true;
    }
    return false;
  }

  /** Host and path already match; checks headers, query and method, and records a winner. */
  private accepts(reg: Reg<R>): boolean {
    const r = reg.route;
    const input = this.input;
    if (r.headers !== null && !headersMatch(r.headers, input.headers)) return false;
    if (r.query !== null) {
      this.query ??= new URLSearchParams(input.query);
      if (!queryMatches(r.query, this.query)) return false;
    }
    if (r.methods !== null && !r.methods.has(input.method)) {
      this.methodMiss = true;
      if (this.allow !== null) for (const m of r.methods) this.allow.add(m);
      return false;
    }
    this.bestRank = reg.rank;
    this.best = reg;
    return true;
  }

  private result(r: CompiledRoute<R>, path: string): MatchResult<R> {
    let params = EMPTY_PARAMS;
    let upstreamPath = path;
    if (r.kind === EXACT) {
      if (r.rewrite !== null) upstreamPath = r.rewriteText;
    } else if (r.kind === PREFIX) {
      if (r.rewrite !== null) upstreamPath = replacePrefix(path, r.path, r.rewriteText);
      else if (r.stripPrefix) upstreamPath = stripPrefix(path, r.path);
    } else if (r.kind === TEMPLATE) {
      const names = r.template!.paramNames;
      if (names.length > 0) {
        params = {};
        for (let i = 0; i < names.length; i++) {
          params[names[i]] = path.slice(this.bestSpans[2 * i], this.bestSpans[2 * i + 1]);
        }
      }
      if (r.rewrite !== null) upstreamPath = applyRewrite(r.rewrite, params, null);
    } else {
      const m = r.rewrite !== null || r.hasNamedGroups ? r.regex!.exec(path) : null;
      if (m?.groups !== undefined) {
        params = {};
        for (const k in m.groups) {
          const v = m.groups[k];
          if (v !== undefined) params[k] = v;
        }
      }
      if (r.rewrite !== null) upstreamPath = applyRewrite(r.rewrite, params, m);
    }
    return { kind: "route", route: r.entry.payload, params, upstreamPath };
  }
}
