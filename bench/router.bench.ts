// Router micro-benchmark: compiles 5,000 mixed routes and measures match time for hits of each path type
// and for misses. Run: node_modules/.bin/node bench/router.bench.ts [--routes 5000] [--iterations 1000000]
import { parseArgs } from "node:util";
import { compileRouter } from "../src/routing/router.ts";
import type { MatchInput, Router, RouterEntry } from "../src/routing/types.ts";
import { EXACT_HOSTS, HOST_GROUPS, mixedRoute } from "./lib/route-mix.ts";

const { values } = parseArgs({
  options: {
    routes: { type: "string", default: "5000" },
    iterations: { type: "string", default: "1000000" },
  },
});
const ROUTES = Number(values.routes);
const ITERATIONS = Number(values.iterations);

const routeConfig = (i: number) => mixedRoute(i, "u");

const entries: RouterEntry<number>[] = Array.from({ length: ROUTES }, (_, i) => ({
  config: routeConfig(i),
  index: i,
  payload: i,
}));

function timeCompile(): number {
  const t0 = process.hrtime.bigint();
  compileRouter(entries);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const coldMs = timeCompile();
const warm = Array.from({ length: 5 }, timeCompile).sort((a, b) => a - b);
const router: Router<number> = compileRouter(entries);

const GROUPS = HOST_GROUPS;
type HostKind = "exact" | "wildcard" | "any";
/** A route of the wanted path kind and host kind without method/header limits, and a host it serves. */
function pick(kind: number, hostKind: HostKind): [number, string] {
  for (let i = 0; i < ROUTES; i++) {
    if (i % 20 !== kind || i % 7 === 0 || i % 11 === 0) continue;
    const g = i % GROUPS;
    if (hostKind === "exact" && g < EXACT_HOSTS) return [i, `svc${g}.example.com`];
    if (hostKind === "wildcard" && g >= EXACT_HOSTS && g < GROUPS - 1) {
      return [i, `a.b.tenant${g - EXACT_HOSTS}.example.com`];
    }
    if (hostKind === "any" && g === GROUPS - 1) return [i, "whatever.io"];
  }
  throw new Error(`no ${hostKind}-host route of kind ${kind}: use more routes`);
}
const input = (host: string, path: string): MatchInput => ({
  method: "GET",
  host,
  path,
  query: "",
  headers: { "user-agent": "bench", accept: "*/*" },
});
const [ex, exHost] = pick(0, "exact");
const [pre, preHost] = pick(7, "wildcard");
const [tpl, tplHost] = pick(13, "any");
const [re, reHost] = pick(19, "exact");
const cases: [string, MatchInput, number | null][] = [
  ["exact hit (exact host)", input(exHost, `/api/v${ex % 3}/res${ex}/status`), ex],
  ["prefix hit (wildcard host)", input(preHost, `/api/v${pre % 3}/res${pre}/deep/er/x`), pre],
  ["template hit (any host)", input(tplHost, `/api/v${tpl % 3}/res${tpl}/42/parts/7`), tpl],
  ["regex hit (exact host)", input(reHost, `/re${re}/2024/hello-world`), re],
  ["miss (known host, 6 segments)", input(exHost, "/api/v0/res999999/a/b/c"), null],
  ["miss (unknown host)", input("nowhere.test", "/nothing/here"), null],
];

for (const [name, inp, want] of cases) {
  const m = router.match(inp);
  const got = m.kind === "route" ? m.route : null;
  if (got !== want) throw new Error(`${name}: expected ${want}, got ${got} (${m.kind})`);
}

/** ns per match: the fastest of 5 runs (the machine is shared, so the minimum is the least noisy). */
function measure(inp: MatchInput): [number, number] {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += router.match(inp).kind.length;
  const per = Math.ceil(ITERATIONS / 5);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; i++) sink += router.match(inp).kind.length;
    runs.push(Number(process.hrtime.bigint() - t0) / per);
  }
  if (sink === 42) console.log("");
  runs.sort((a, b) => a - b);
  return [runs[0], runs[2]];
}

console.log(`node ${process.version}, ${ROUTES} routes, ${ITERATIONS} matches per case`);
console.log(`compile: cold ${coldMs.toFixed(1)} ms, warm median ${warm[2].toFixed(1)} ms`);
console.log(`${"case".padEnd(32)} ${"min".padStart(6)} ${"median".padStart(8)} (ns/match)`);
for (const [name, inp] of cases) {
  const [min, median] = measure(inp);
  console.log(`${name.padEnd(32)} ${min.toFixed(0).padStart(6)} ${median.toFixed(0).padStart(8)}`);
}
