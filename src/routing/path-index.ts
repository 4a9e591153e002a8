// The per-host-group path index: exact paths in a Map, prefixes and templates in segment tries, regexes
// in lists (bucketed by first segment when their literal head fixes it). Every list holds registrations
// in rank order, so the matcher can stop at the first entry that matches or cannot beat the best so far.
// Trie children are SliceMaps so that the matcher can look a segment up without slicing the path.
import type { CompiledRoute } from "./compile-route.ts";
import { CATCH_ALL, EXACT, PARAM, PREFIX, REGEX, segmentsOf, TEMPLATE } from "./path-pattern.ts";
import { hashForward, SliceMap } from "./slice-map.ts";

export interface Reg<R> {
  readonly route: CompiledRoute<R>;
  /** Position in the global selection order (see order.ts): lower wins. */
  readonly rank: number;
}

export interface PrefixNode<R> {
  children: SliceMap<PrefixNode<R>> | null;
  routes: Reg<R>[] | null;
}

export interface TemplateNode<R> {
  /** Best rank anywhere below (and at) this node: a subtree that cannot win is not walked. */
  minRank: number;
  statics: SliceMap<TemplateNode<R>> | null;
  param: TemplateNode<R> | null;
  /** Templates that end here. */
  terminal: Reg<R>[] | null;
  /** Templates whose catch-all starts at this depth. */
  catchAll: Reg<R>[] | null;
}

export class PathIndex<R> {
  minRank = Number.POSITIVE_INFINITY;
  readonly exact = new Map<string, Reg<R>[]>();
  prefixRoot: PrefixNode<R> | null = null;
  templateRoot: TemplateNode<R> | null = null;
  readonly regexBySegment = new SliceMap<Reg<R>[]>();
  readonly regexRest: Reg<R>[] = [];
  /** Most segments any prefix or template here has: the matcher never needs to look further. */
  maxDepth = 0;
  maxParams = 0;

  /** Registrations must arrive in rank order. */
  add(reg: Reg<R>): void {
    if (reg.rank < this.minRank) this.minRank = reg.rank;
    const r = reg.route;
    switch (r.kind) {
      case EXACT:
        push(this.exact, r.path, reg);
        break;
      case PREFIX:
        this.addPrefix(reg);
        break;
      case TEMPLATE:
        this.addTemplate(reg);
        break;
      case REGEX: {
        const seg = r.regexFirstSegment;
        if (seg === null) {
          this.regexRest.push(reg);
        } else {
          const hash = hashForward(seg, 0, seg.length);
          const list = this.regexBySegment.get(seg, 0, seg.length, hash);
          if (list === undefined) this.regexBySegment.set(seg, hash, [reg]);
          else list.push(reg);
        }
        break;
      }
    }
  }

  private addPrefix(reg: Reg<R>): void {
    this.prefixRoot ??= { children: null, routes: null };
    let node = this.prefixRoot;
    const path = reg.route.path;
    if (path !== "/") {
      const segs = segmentsOf(path);
      if (segs.length > this.maxDepth) this.maxDepth = segs.length;
      for (const s of segs) {
        node.children ??= new SliceMap();
        const hash = hashForward(s, 0, s.length);
        let next = node.children.get(s, 0, s.length, hash);
        if (next === undefined) {
          next = { children: null, routes: null };
          node.children.set(s, hash, next);
        }
        node = next;
      }
    }
    node.routes ??= [];
    node.routes.push(reg);
  }

  private addTemplate(reg: Reg<R>): void {
    const t = reg.route.template!;
    if (t.paramNames.length > this.maxParams) this.maxParams = t.paramNames.length;
    if (t.segments.length > this.maxDepth) this.maxDepth = t.segments.length;
    this.templateRoot ??= newTemplateNode(reg.rank);
    let node = this.templateRoot;
    for (const seg of t.segments) {
      // Ranks arrive in increasing order, so the first registration to pass a node sets its minimum.
      if (node.minRank > reg.rank) node.minRank = reg.rank;
      if (seg.kind === CATCH_ALL) {
        node.catchAll ??= [];
        node.catchAll.push(reg);
        return;
      }
      if (seg.kind === PARAM) {
        node.param ??= newTemplateNode(reg.rank);
        node = node.param;
      } else {
        node.statics ??= new SliceMap();
        const s = seg.text;
        const hash = hashForward(s, 0, s.length);
        let next = node.statics.get(s, 0, s.length, hash);
        if (next === undefined) {
          next = newTemplateNode(reg.rank);
          node.statics.set(s, hash, next);
        }
        node = next;
      }
    }
    if (node.minRank > reg.rank) node.minRank = reg.rank;
    node.terminal ??= [];
    node.terminal.push(reg);
  }
}

function newTemplateNode<R>(rank: number): TemplateNode<R> {
  return { minRank: rank, statics: null, param: null, terminal: null, catchAll: null };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
