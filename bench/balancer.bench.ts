// Balancer micro-benchmark: ns per pick for each kind, all targets usable and with one down, and the
// number of garbage collections during the timed picks (0 means a pick allocates nothing).
// Run: node_modules/.bin/node bench/balancer.bench.ts [--targets 10] [--iterations 2000000]
import { execFileSync } from "node:child_process";
import { PerformanceObserver } from "node:perf_hooks";
import { setTimeout as delay, setImmediate as tick } from "node:timers/promises";
import { parseArgs } from "node:util";
import { type Balancer, type BalancerKind, createBalancer } from "../src/upstream/balancer/index.ts";
import { type TestTarget, targetsOf } from "../src/upstream/balancer/testing.ts";

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: "10" },
    iterations: { type: "string", default: "2000000" },
    case: { type: "string" },
    down: { type: "boolean", default: false },
  },
});
const N = Number(values.targets);
const ITERATIONS = Number(values.iterations);

const targets = targetsOf(
  N,
  Array.from({ length: N }, (_, i) => 1 + (i % 5)),
);
const inflight = new Float64Array(N).map((_, i) => i % 3);
const down = new Uint8Array(N);
// As the gateway will: one predicate and one counter reader made once, reading state by target index.
const usable = (t: TestTarget) => down[t.index] === 0;
const opts = { inflight: (t: TestTarget) => inflight[t.index] };
// Client-IP-like keys, made up front so the loop measures the pick, not string building; parsed from JSON
// so they are flat strings, as header values from the HTTP parser are (a concatenation is a rope, which
// charCodeAt walks more slowly).
const KEYS: string[] = JSON.parse(
  JSON.stringify(Array.from({ length: 1024 }, (_, i) => `192.168.${i >> 8}.${i & 255}`)),
);

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ["gc"] });

async function measure(b: Balancer<TestTarget>, keyed: boolean): Promise<[number, number, number]> {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += b.pick(usable, keyed ? KEYS[i & 1023] : undefined)!.weight;
  await tick();
  // A clean young generation, so any collection during the timed picks is the picks' own garbage.
  globalThis.gc?.();
  await delay(20);
  const per = Math.ceil(ITERATIONS / 5);
  const runs: number[] = [];
  gcs = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    if (keyed) for (let i = 0; i < per; i++) sink += b.pick(usable, KEYS[i & 1023])!.weight;
    else for (let i = 0; i < per; i++) sink += b.pick(usable)!.weight;
    runs.push(Number(process.hrtime.bigint() - t0) / per);
  }
  await delay(20);
  if (sink === 42) console.log("");
  runs.sort((a, b) => a - b);
  return [runs[0], runs[2], gcs];
}

const cases: [string, BalancerKind, boolean][] = [
  ["round-robin", "round-robin", false],
  ["weighted", "weighted", false],
  ["least-request", "least-request", false],
  ["hash (ip key)", "hash", true],
  ["hash (no key)", "hash", false],
];

if (values.case === undefined) {
  // Each case in its own process, so every pick call site stays monomorphic as it would for one upstream.
  console.log(`node ${process.version}, ${N} targets (weights 1..5), ${ITERATIONS} picks per case`);
  console.log(
    `${"case".padEnd(24)} ${"build µs".padStart(9)} ${"min".padStart(6)} ${"median".padStart(7)} ${"gcs".padStart(4)}  (ns/pick)`,
  );
  for (const oneDown of ["", "1"]) {
    for (let i = 0; i < cases.length; i++) {
      const args = [
        ...process.execArgv,
        "--expose-gc",
        process.argv[1],
        "--case",
        String(i),
        "--targets",
        String(N),
      ];
      args.push("--iterations", String(ITERATIONS), ...(oneDown ? ["--down"] : []));
      process.stdout.write(execFileSync(process.execPath, args, { encoding: "utf8" }));
    }
  }
} else {
  const [name, kind, keyed] = cases[Number(values.case)];
  if (values.down) down[Math.floor(N / 2)] = 1;
  const t0 = process.hrtime.bigint();
  const b = createBalancer(kind, targets, opts);
  const buildUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const [min, median, n] = await measure(b, keyed);
  const label = `${name}${values.down ? ", 1 down" : ""}`;
  console.log(
    `${label.padEnd(24)} ${buildUs.toFixed(0).padStart(9)} ${min.toFixed(1).padStart(6)} ${median.toFixed(1).padStart(7)} ${String(n).padStart(4)}`,
  );
}
