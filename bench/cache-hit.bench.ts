// What a response-cache hit costs in the cache policy, apart from the network and the server: the whole
// onRequest hook on a hit (memory store), then each step the first cut of the policy (commit 2bdbdc3) took
// per hit, reproduced with the same calls (key, store lookup, CachePolicy.fromObject, the request object
// http-cache-semantics wants, satisfiesWithoutRevalidation, responseHeaders, timeToLive, the reply's header
// object), and last what a hit costs when everything that does not change between hits is worked out once
// per stored entry. The in-situ comparison is `SCENARIOS=cache-off,cache-hit npm run bench`, whose ratio
// moves by ±30% between rounds on this noisy machine; this gives the per-step numbers it cannot resolve.
// Run: node_modules/.bin/node bench/cache-hit.bench.ts [--iterations 200000]
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import CachePolicy from "http-cache-semantics";
import type { HeaderBag, LocalReply, PolicyHooks, RequestView } from "../src/pipeline/types.ts";
import { cachePolicy } from "../src/policies/cache/index.ts";
import { compileCacheKey } from "../src/policies/cache/key.ts";
import { flatHeaders } from "../src/policies/cache/semantics.ts";
import { MemoryCacheStore } from "../src/policies/cache/stores/memory.ts";
import type { StoredEntry } from "../src/policies/cache/stores/types.ts";
import { fakeRequest, fakeServices } from "../src/policies/testing.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "200000" } } });
const N = Number(values.iterations);

// What the bench's cache-hit scenario sends (wrk: Host only) and what its origin answers (nginx).
const requestHeaders = { host: "127.0.0.1:8080" };
const request = () =>
  fakeRequest({ host: "127.0.0.1", path: "/cacheable", headers: requestHeaders, routeName: "all" });
const originHeaders: Record<string, string> = {
  server: "nginx/1.22.1",
  date: new Date().toUTCString(),
  "content-type": "text/plain",
  "content-length": "33",
  "cache-control": "public, max-age=3600",
};
const body = Buffer.from("hello from the benchmark backend\n");

/** A result every measured function feeds, so the optimizer cannot drop the work. */
let sink = 0;
const use = (v: unknown) => {
  sink += v === undefined ? 0 : 1;
};

function measure(name: string, fn: () => unknown, n = N): number {
  for (let i = 0; i < Math.min(n, 20_000); i++) use(fn());
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) use(fn());
  const us = Number(process.hrtime.bigint() - t0) / n / 1000;
  console.log(`${name.padEnd(52)} ${us.toFixed(3).padStart(8)} µs/op`);
  return us;
}

async function measureAsync(name: string, fn: () => unknown, n = N): Promise<number> {
  for (let i = 0; i < Math.min(n, 20_000); i++) {
    const out = fn();
    use(out instanceof Promise ? await out : out);
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const out = fn();
    use(out instanceof Promise ? await out : out);
  }
  const us = Number(process.hrtime.bigint() - t0) / n / 1000;
  console.log(`${name.padEnd(52)} ${us.toFixed(3).padStart(8)} µs/op`);
  return us;
}

const baseline = measure("baseline (building the request view)", request);

// 1. The policy as it is in src/: one miss stores the response, then every request is a hit.
console.log("\nthe cache policy's onRequest on a hit (src/policies/cache, memory store)");
const services = fakeServices();
const hooks: PolicyHooks = cachePolicy.create({}, { path: "/bench", route: "all", services });
const first = request();
first.captureResponse = (_max, done) => done({ status: 200, headers: { ...originHeaders }, body });
await hooks.onRequest?.(first);
await new Promise((r) => setTimeout(r, 10));
const probe = await hooks.onRequest?.(request());
if (probe === undefined || (probe as LocalReply).status !== 200)
  throw new Error(`the second request was not a hit: ${JSON.stringify(probe)}`);
const hookUs = await measureAsync("onRequest on a hit (with building the view)", () =>
  hooks.onRequest?.(request()),
);
console.log(`${"  = policy work per hit".padEnd(52)} ${(hookUs - baseline).toFixed(3).padStart(8)} µs/op`);

// 2. The first cut's per-hit steps, one by one.
console.log("\nthe first cut's per-hit steps (commit 2bdbdc3), one by one");
const key = compileCacheKey(undefined, "all");
const req = request();
const k = key(req);
const store = new MemoryCacheStore({ maxBytes: 64 * 1024 * 1024 });
const asked = (r: RequestView, url: string) => ({
  url,
  method: r.method,
  headers: { ...flatHeaders(r.headers), host: r.host },
});
const stored = new CachePolicy(asked(req, k), { status: 200, headers: originHeaders }, { shared: true });
const entry: StoredEntry = {
  meta: {
    status: 200,
    headers: Object.entries(originHeaders),
    policy: stored.toObject(),
    storedAt: Date.now(),
    tags: [],
  },
  body,
};
store.set(k, entry, stored.timeToLive());
const policyObject = entry.meta.policy as CachePolicy.CachePolicyObject;
const policy = CachePolicy.fromObject(policyObject);
const policyReq = asked(req, k);
const steps = [
  measure("key(req)", () => key(req)),
  measure("store.get(key) (memory LRU)", () => store.get(k)),
  measure("CachePolicy.fromObject", () => CachePolicy.fromObject(policyObject)),
  measure("policyRequest (flatHeaders copy + host)", () => asked(req, k)),
  measure("satisfiesWithoutRevalidation", () => policy.satisfiesWithoutRevalidation(policyReq)),
  measure("responseHeaders", () => policy.responseHeaders()),
  measure("timeToLive", () => policy.timeToLive()),
  measure("reply headers (spread, delete warning, cache-status)", () => {
    const headers: Record<string, string> = { ...(policy.responseHeaders() as Record<string, string>) };
    delete headers.warning;
    headers["cache-status"] = `Portcullis; hit; ttl=${Math.floor(policy.timeToLive() / 1000)}`;
    return headers;
  }),
];
// The last step includes a responseHeaders and a timeToLive already counted above.
const parts = steps.reduce((a, b) => a + b, 0) - steps[5] - steps[6];
console.log(`${"  = sum of the steps".padEnd(52)} ${parts.toFixed(3).padStart(8)} µs/op`);
measure("all steps as one hit (the first cut's serve())", () => {
  const found = store.get(key(req));
  if (found === undefined) return undefined;
  const p = CachePolicy.fromObject(found.meta.policy as CachePolicy.CachePolicyObject);
  if (!p.satisfiesWithoutRevalidation(asked(req, k))) return undefined;
  const headers: Record<string, string> = { ...(p.responseHeaders() as Record<string, string>) };
  delete headers.warning;
  headers["cache-status"] = `Portcullis; hit; ttl=${Math.floor(p.timeToLive() / 1000)}`;
  return { status: found.meta.status, headers, body: found.body };
});

// 3. Everything that does not change between hits worked out once per stored entry: the header bag
// without hop-by-hop fields, the instant the entry goes stale, the Age it had when stored. A hit then
// checks the request's Cache-Control/Pragma (absent here), compares the clock, and copies the bag.
console.log("\nper-entry precomputation: what a hit can cost");
const bag: HeaderBag = Object.fromEntries(entry.meta.headers);
const responseTime = policyObject.t;
const staleAt = responseTime + (policy.maxAge() - Number(originHeaders.age ?? 0)) * 1000;
const ageAtStore = Number(originHeaders.age ?? 0);
measure("hit from a precomputed entry", () => {
  const found = store.get(key(req));
  if (found === undefined) return undefined;
  if (req.headers["cache-control"] !== undefined || req.headers.pragma !== undefined) return undefined;
  const now = Date.now();
  if (now >= staleAt) return undefined;
  const headers: HeaderBag = {
    ...bag,
    age: String(Math.floor(ageAtStore + (now - responseTime) / 1000)),
    "cache-status": `Portcullis; hit; ttl=${Math.floor((staleAt - now) / 1000)}`,
  };
  return { status: found.meta.status, headers, body: found.body };
});

// Reference points for the rest of a hit's path.
console.log("\nfor scale");
measure("new Date().toUTCString() (responseHeaders' Date)", () => new Date().toUTCString());
measure("randomUUID() (x-request-id)", () => randomUUID());
measure("{ ...headers } of a 7-field reply (sendLocal)", () => ({ ...bag, age: "0", "cache-status": "x" }));
if (sink === 0) console.log("(sink)");
