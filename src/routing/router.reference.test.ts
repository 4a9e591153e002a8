// Compares the compiled router with a deliberately naive matcher written straight from the documented
// rules (linear scan, full sort) over many generated routes and requests. Index or pruning mistakes
// show up as disagreements.
import assert from "node:assert/strict";
import { test } from "node:test";
import { literalHead, normalizePrefix } from "./path-pattern.ts";
import { outcome, req, routerOf, type TestRoute } from "./test-helpers.ts";
import type { MatchInput } from "./types.ts";

function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

const HOSTS = ["a.io", "b.a.io", "c.b.a.io", "x.io"];
const ROUTE_HOSTS = ["*", "a.io", "*.a.io", "*.b.a.io", "x.io"];
const SEGS = ["u", "v", "7", "me", ""];
const METHODS = ["GET", "POST", "DELETE"];

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}/-]/g, "\\$&");
}

function templateRegex(path: string): RegExp {
  const parts = path
    .slice(1)
    .split("/")
    .map((s) => (s.startsWith(":") ? "([^/]+)" : s.startsWith("*") ? "(.*)" : escapeRegex(s)));
  return new RegExp(`^/${parts.join("/")}$`, "u");
}

function naive(routes: TestRoute[], input: MatchInput): string {
  type Hit = { key: number[]; name: string; params: Record<string, string> };
  const hits: Hit[] = [];
  const allow = new Set<string>();
  let methodMiss = false;
  routes.forEach((r, index) => {
    const m = r.match;
    const kind = m.pathType ?? "prefix";
    let params: Record<string, string> | null = null;
    let literal = 0;
    if (kind === "prefix") {
      const p = normalizePrefix(m.path);
      if (p === "/" || input.path === p || input.path.startsWith(`${p}/`)) params = {};
      literal = p.length;
    } else if (kind === "exact") {
      if (input.path === m.path) params = {};
      literal = m.path.length;
    } else if (kind === "template") {
      const names = m.path
        .slice(1)
        .split("/")
        .filter((s) => s.startsWith(":") || s.startsWith("*"))
        .map((s) => (s === "*" ? "*" : s.slice(1)));
      const x = templateRegex(m.path).exec(input.path);
      if (x) params = Object.fromEntries(names.map((n, i) => [n, x[i + 1]]));
      literal = m.path.length - names.reduce((a, n) => a + (n === "*" ? 1 : n.length + 1), 0);
    } else {
      const x = new RegExp(`^(?:${m.path})$`, "u").exec(input.path);
      if (x) params = { ...x.groups };
      literal = literalHead(m.path).length;
    }
    if (params === null) return;
    for (const [k, v] of Object.entries(m.headers ?? {})) {
      if (input.headers[k] !== (typeof v === "string" ? v : v.exact)) return;
    }
    const hostScores = (m.hosts ?? ["*"])
      .filter((h) =>
        h === "*"
          ? true
          : h.startsWith("*.")
            ? input.host.endsWith(h.slice(1)) && input.host.length > h.length - 1
            : h === input.host,
      )
      .map((h) => (h === "*" ? -1 : h.startsWith("*.") ? h.length - 1 : 100_000));
    if (hostScores.length === 0) return;
    const methods = m.methods
      ? new Set([...m.methods, ...(m.methods.includes("GET") ? ["HEAD"] : [])])
      : null;
    if (methods && !methods.has(input.method)) {
      methodMiss = true;
      for (const x of methods) allow.add(x);
      return;
    }
    const typeScore = { regex: 0, prefix: 1, template: 2, exact: 3 }[kind];
    const key = [-(r.priority ?? 0), -Math.max(...hostScores), -typeScore, -literal, index];
    hits.push({ key, name: r.name, params });
  });
  if (hits.length === 0) return methodMiss ? `405 ${[...allow].sort().join(",")}` : "404";
  hits.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
    return 0;
  });
  return `${hits[0].name} ${JSON.stringify(hits[0].params)}`;
}

function generateRoute(rand: () => number, i: number): TestRoute {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const depth = 1 + Math.floor(rand() * 3);
  const kinds = ["prefix", "exact", "template", "regex"] as const;
  const pathType = pick([...kinds]);
  const segs: string[] = [];
  let params = 0;
  for (let d = 0; d < depth; d++) {
    if (pathType === "template" && rand() < 0.4) segs.push(`:p${params++}`);
    else if (pathType === "regex" && rand() < 0.3) segs.push(pick(["[a-z]+", "(?<g>\\d+)", "(?:u|v)", ".*"]));
    else segs.push(pick(SEGS));
  }
  if (pathType === "template" && rand() < 0.2) segs.push(rand() < 0.5 ? "*" : "*rest");
  let path = `/${segs.join("/")}`;
  if (pathType === "regex" && (path.match(/\(\?<g>/g)?.length ?? 0) > 1) path = path.replace(/\(\?<g>/g, "(");
  const route: TestRoute = { name: `r${i}`, match: { path, pathType } };
  if (rand() < 0.5)
    route.match.hosts = [...new Set([pick(ROUTE_HOSTS), ...(rand() < 0.3 ? [pick(ROUTE_HOSTS)] : [])])];
  if (rand() < 0.4) route.match.methods = [...new Set([pick(METHODS), pick(METHODS)])];
  if (rand() < 0.15) route.match.headers = { "x-t": rand() < 0.5 ? "1" : { exact: "2" } };
  if (rand() < 0.3) route.priority = Math.floor(rand() * 3) - 1;
  return route;
}

test("the compiled router agrees with a naive reference on generated routes", () => {
  const rand = rng(20_260_123);
  let compared = 0;
  let routed = 0;
  for (let round = 0; round < 40; round++) {
    const routes = Array.from({ length: 5 + Math.floor(rand() * 60) }, (_, i) => generateRoute(rand, i));
    const router = routerOf(...routes);
    for (let k = 0; k < 150; k++) {
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
      const segs = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(SEGS));
      const input = req(`/${segs.join("/")}`, {
        host: pick(HOSTS),
        method: pick([...METHODS, "HEAD", "PUT"]),
        headers: rand() < 0.3 ? { "x-t": pick(["1", "2"]) } : {},
      });
      const result = router.match(input);
      const got =
        result.kind === "route" ? `${result.route} ${JSON.stringify(result.params)}` : outcome(result);
      const want = naive(routes, input);
      assert.equal(got, want, `${JSON.stringify(input)}\n${JSON.stringify(routes, null, 1)}`);
      compared++;
      if (result.kind === "route") routed++;
    }
  }
  // The generator must exercise real matches, not just agree on 404s.
  assert.ok(routed > compared / 3, `only ${routed} of ${compared} requests were routed`);
});
