// Access policy micro-benchmark: the per-request cost of the onRequest hook with lists of 10,000 IPv4
// and 10,000 IPv6 ranges, and of path rules on plain and ambiguous paths. Prints ns/op per case.
// Run: node_modules/.bin/node bench/access.bench.ts [--entries 10000] [--iterations 2000000]
import { parseArgs } from "node:util";
import { accessPolicy } from "../src/policies/access/index.ts";
import type { AccessOptions } from "../src/policies/access/schema.ts";
import { fakeRequest, policyContext } from "../src/policies/testing.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "10000" },
    iterations: { type: "string", default: "2000000" },
  },
});
const ENTRIES = Number(values.entries);
const ITERATIONS = Number(values.iterations);

const rnd = () => Math.floor(Math.random() * 0x100000000);
const octet = () => rnd() & 255;
const hex = () => (rnd() & 0xffff).toString(16);

// Random /24s and /48s: they rarely merge, so the set keeps about ENTRIES ranges per family.
const v4List = Array.from({ length: ENTRIES }, () => `${octet()}.${octet()}.${octet()}.0/24`);
const v6List = Array.from({ length: ENTRIES }, () => `2001:${hex()}:${hex()}::/48`);

function hooksFor(options: AccessOptions) {
  const t0 = performance.now();
  const hooks = accessPolicy.create(options, policyContext("/bench/access"));
  return {
    onRequest: hooks.onRequest as NonNullable<typeof hooks.onRequest>,
    compileMs: performance.now() - t0,
  };
}

/** 1,024 requests cycled through, so no single address or path is all the branch predictor sees. */
function requests(ip: () => string, path: () => string) {
  return Array.from({ length: 1024 }, () => fakeRequest({ clientIp: ip(), path: path() }));
}

function measure(name: string, options: AccessOptions, reqs: ReturnType<typeof requests>): void {
  const { onRequest, compileMs } = hooksFor(options);
  let denied = 0;
  for (let i = 0; i < 200_000; i++) if (onRequest(reqs[i & 1023]) !== undefined) denied++; // warm-up
  denied = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) if (onRequest(reqs[i & 1023]) !== undefined) denied++;
  const ns = Number(process.hrtime.bigint() - t0) / ITERATIONS;
  const share = ((denied / ITERATIONS) * 100).toFixed(0);
  console.log(
    `${name.padEnd(48)} ${ns.toFixed(1).padStart(7)} ns/op   denied ${share.padStart(3)}%   compile ${compileMs.toFixed(1)} ms`,
  );
}

const anyV4 = () => `${octet()}.${octet()}.${octet()}.${octet()}`;
const listedV4 = () => v4List[rnd() % ENTRIES].replace(/0\/24$/, String(octet()));
const anyV6 = () => `2001:${hex()}:${hex()}::${hex()}`;
const listedV6 = () => v6List[rnd() % ENTRIES].replace("::/48", `:1::${hex()}`);
const mapped = () => `::ffff:${listedV4()}`;
const root = () => "/api/v1/items";

console.log(`access policy, ${ENTRIES} IPv4 + ${ENTRIES} IPv6 ranges, ${ITERATIONS} requests per case`);
const lists = { deny: [...v4List, ...v6List] };
measure("deny list, IPv4 clients (random)", lists, requests(anyV4, root));
measure("deny list, IPv4 clients (all listed)", lists, requests(listedV4, root));
measure("deny list, IPv6 clients (random)", lists, requests(anyV6, root));
measure("deny list, IPv6 clients (all listed)", lists, requests(listedV6, root));
measure("deny list, IPv4-mapped clients (listed)", lists, requests(mapped, root));
measure(
  "allow + deny lists, IPv4 clients (listed)",
  { allow: [...v4List, ...v6List], deny: v4List.slice(0, ENTRIES / 2) },
  requests(listedV4, root),
);

const rules: AccessOptions = {
  rules: [
    { pathPrefix: "/admin", action: "deny" },
    { path: "/internal/metrics", action: "deny", except: { cidrs: ["10.0.0.0/8"] } },
    { pathPrefix: "/ops", caseInsensitive: true, action: "deny" },
    { pathPrefix: "/api", methods: ["DELETE"], action: "deny" },
    { pathPrefix: "/partners", cidrs: v4List, action: "allow" },
    { pathPrefix: "/partners", action: "deny" },
  ],
};
const paths = ["/api/v1/items", "/admin/users", "/ops/x", "/partners/a", "/public/index.html"];
measure(
  "6 rules, plain paths",
  rules,
  requests(anyV4, () => paths[rnd() % paths.length]),
);
const odd = ["/api;x=1/items", "/admin%2Fusers", "//ops/x", "/partners;a%2F..%2Fb", "/public/a%3Bb"];
measure(
  "6 rules, ambiguous paths (';', '//', %2F, %3B)",
  rules,
  requests(anyV4, () => odd[rnd() % odd.length]),
);
