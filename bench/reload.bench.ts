// What a hot reload costs, measured three ways on a generated 5,000-route config:
//  (a) load + validate + compile time, and compile alone;
//  (b) latency of requests at a fixed rate through a gateway process that is reloaded (SIGHUP) every
//      500 ms, against a baseline period of the same traffic without reloads;
//  (c) heap and RSS over many in-process reloads with forced GC, and the pool count.
// Run: npm run bench:reload  (= node --expose-gc bench/reload.bench.ts)
//   [--routes 5000] [--rate 1000] [--baseline 5] [--seconds 10] [--interval 500]
//   [--reloads 1000] [--memory-routes 5000] [--parts a,b,c]
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { stringify } from "yaml";
import { compilePlan, releasePlan } from "../src/config/compile.ts";
import { loadConfigFile } from "../src/config/load.ts";
import type { RouteConfig } from "../src/config/schema.ts";
import { startGateway } from "../src/gateway.ts";
import { createLogger } from "../src/observability/logger.ts";
import { PoolRegistry } from "../src/upstream/pools.ts";
import { HOST_GROUPS, mixedRoute } from "./lib/route-mix.ts";

const { values } = parseArgs({
  options: {
    routes: { type: "string", default: "5000" },
    rate: { type: "string", default: "1000" },
    baseline: { type: "string", default: "5" },
    seconds: { type: "string", default: "10" },
    interval: { type: "string", default: "500" },
    reloads: { type: "string", default: "1000" },
    "memory-routes": { type: "string", default: "5000" },
    parts: { type: "string", default: "a,b,c" },
  },
});
const ROUTES = Number(values.routes);
const parts = new Set(values.parts.split(","));
const repo = fileURLToPath(new URL("..", import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;

// ---------------------------------------------------------------------------------------------------
// The config: the router benchmark's mix (50 exact hosts, 10 wildcard hosts, any host; 30% exact, 30%
// prefix, 35% template, 5% regex paths; some methods and header matchers) plus a few policies.

const GROUPS = HOST_GROUPS;
function routeConfig(i: number): RouteConfig {
  const route = mixedRoute(i, `u${i % 4}`);
  if (i % 50 === 0) route.policies = { headers: { request: { set: { "x-route": `r${i}` } } } };
  if (i % 97 === 0) route.policies = { cors: { origins: [`https://app${i}.example.com`] } };
  return route;
}

/** An exact-path route with no host, method or header condition: the one the traffic asks for. */
function trafficPath(routes: number): string {
  for (let i = 0; i < routes; i++) {
    if (i % 20 < 6 && i % GROUPS === GROUPS - 1 && i % 7 !== 0 && i % 11 !== 0) {
      return `/api/v${i % 3}/res${i}/status`;
    }
  }
  throw new Error("no host-less exact route: use more routes");
}

function config(routes: number, upstreamUrl: string): Record<string, unknown> {
  return {
    version: 1,
    listeners: [{ name: "public", address: "127.0.0.1", port: 0, http2: false }],
    admin: { address: "127.0.0.1", port: 0 },
    log: { level: "info", accessLog: false },
    policies: { headers: { response: { set: { "x-gateway": "portcullis" } } } },
    upstreams: [0, 1, 2, 3].map((n) => ({
      name: `u${n}`,
      connections: 64 + n,
      targets: [{ url: upstreamUrl }],
    })),
    routes: Array.from({ length: routes }, (_, i) => routeConfig(i)),
  };
}

/** Nearest-rank percentile of an ascending array, p in [0, 1]. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function median(values: number[]): number {
  return percentile(
    values.toSorted((x, y) => x - y),
    0.5,
  );
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const mib = (v: number) => `${(v / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------------
// (a) load + validate + compile

async function partA(file: string): Promise<void> {
  const pools = new PoolRegistry();
  const full: number[] = [];
  const load: number[] = [];
  const compile: number[] = [];
  for (let run = 0; run < 6; run++) {
    const t0 = performance.now();
    const loaded = await loadConfigFile(file);
    const t1 = performance.now();
    if (!loaded.ok) throw new Error(`generated config is invalid: ${JSON.stringify(loaded.errors[0])}`);
    const compiled = compilePlan(loaded.config, pools);
    const t2 = performance.now();
    if (!compiled.ok) throw new Error(`generated config does not compile: ${compiled.issues[0].message}`);
    releasePlan(compiled.plan, pools);
    // Run 0 is cold (first ajv compile, JIT warm-up); reported apart.
    if (run === 0) {
      console.log(`(a) cold first run: load+validate ${ms(t1 - t0)}, compile ${ms(t2 - t1)}`);
      continue;
    }
    full.push(t2 - t0);
    load.push(t1 - t0);
    compile.push(t2 - t1);
  }
  await pools.closeAll();
  console.log(
    `(a) ${ROUTES} routes, median of 5 warm runs: load+validate+compile ${ms(median(full))}` +
      ` (load+validate ${ms(median(load))}, compile ${ms(median(compile))});` +
      ` spread ${ms(Math.min(...full))}..${ms(Math.max(...full))}`,
  );
}

// ---------------------------------------------------------------------------------------------------
// (b) latency during reloads. The gateway runs as its own process, reloaded by SIGHUP like in
// production, so a reload blocks its event loop and not the client's: requests keep leaving on schedule
// and every stall shows up in their latency (measured from the scheduled start, not the actual one).

interface Sample {
  at: number;
  latency: number;
}

async function partB(file: string): Promise<void> {
  const rate = Number(values.rate);
  const gateway = spawn(process.execPath, ["src/cli.ts", "start", "--config", file, "--no-watch"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "inherit"],
  });
  /** From the first SIGHUP not yet answered to the gateway's "reloaded" line (coalesced SIGHUPs fold in). */
  const windows: { sent: number; done: number }[] = [];
  const gatewayMs: number[] = [];
  let hups = 0;
  let pendingHup: number | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: gateway.stdout! }).on("line", (line) => {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (r.message === "listening") resolve(r.port as number);
      if (r.message === "configuration reloaded") {
        gatewayMs.push(r.ms as number);
        if (pendingHup !== undefined) windows.push({ sent: pendingHup, done: performance.now() });
        pendingHup = undefined;
      }
      if (String(r.message).includes("reload refused")) reject(new Error(String(r.message)));
    });
    gateway.once("exit", (code) => reject(new Error(`gateway exited ${code}`)));
  });

  const path = trafficPath(ROUTES);
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: 64, pipelining: 1 });
  const samples: Sample[] = [];
  let errors = 0;
  let non2xx = 0;
  const interval = 1000 / rate;
  /** Sends at `rate` for `seconds`; resolves when every request has an answer. */
  const traffic = (seconds: number) =>
    new Promise<void>((resolve) => {
      const total = Math.round(rate * seconds);
      const t0 = performance.now();
      let sent = 0;
      let settled = 0;
      const fire = (intended: number) => {
        sent++;
        client.request({ method: "GET", path }).then(
          async (res) => {
            await res.body.dump();
            samples.push({ at: intended, latency: performance.now() - intended });
            if (res.statusCode !== 200) non2xx++;
            if (++settled === total) resolve();
          },
          () => {
            errors++;
            if (++settled === total) resolve();
          },
        );
      };
      const tick = () => {
        const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
        while (sent < due) fire(t0 + sent * interval);
        if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
      };
      tick();
    });

  await traffic(1);
  samples.length = 0;
  const baselineStart = performance.now();
  await traffic(Number(values.baseline));
  const baselineEnd = performance.now();
  const reloading = traffic(Number(values.seconds));
  const hup = setInterval(() => {
    pendingHup ??= performance.now();
    hups++;
    gateway.kill("SIGHUP");
  }, Number(values.interval));
  await reloading;
  clearInterval(hup);
  await client.close();
  await stop(gateway);

  const describe = (label: string, s: Sample[]) => {
    const lat = Float64Array.from(s.map((x) => x.latency)).sort();
    console.log(
      `    ${label.padEnd(36)} n=${String(lat.length).padStart(6)}  p50 ${ms(percentile(lat, 0.5)).padStart(9)}` +
        `  p99 ${ms(percentile(lat, 0.99)).padStart(9)}  max ${ms(lat[lat.length - 1] ?? Number.NaN).padStart(9)}`,
    );
  };
  const baseline = samples.filter((s) => s.at >= baselineStart && s.at < baselineEnd);
  const during = samples.filter((s) => s.at >= baselineEnd);
  // Requests started between a SIGHUP and the gateway's "reloaded" line, or up to 50 ms before it (those
  // were still in the gateway when its event loop stopped for the compile).
  const overlapping = during.filter((s) => windows.some((r) => s.at >= r.sent - 50 && s.at <= r.done));
  console.log(
    `(b) ${rate} req/s to ${path} through a gateway process with ${ROUTES} routes; ` +
      `SIGHUP every ${values.interval} ms (${hups} sent, ${gatewayMs.length} reloads; in the gateway: median ${ms(median(gatewayMs))}, ` +
      `max ${ms(Math.max(...gatewayMs))}); errors ${errors}, non-200 ${non2xx}`,
  );
  describe(`baseline, no reloads (${values.baseline} s)`, baseline);
  describe(`while reloading (${values.seconds} s)`, during);
  describe("  of which overlapping a reload", overlapping);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

// ---------------------------------------------------------------------------------------------------
// (c) memory over many reloads, in process, one request through the gateway after each reload so that
// retired plans go through the in-flight accounting too.

async function partC(dir: string, upstreamUrl: string): Promise<void> {
  if (gc === undefined) throw new Error("run with --expose-gc (npm run bench:reload)");
  const routes = Number(values["memory-routes"]);
  const reloads = Number(values.reloads);
  const file = join(dir, "memory.yaml");
  await writeFile(file, stringify(config(routes, upstreamUrl)));
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const logger = createLogger({ level: "info", destination: sink, sync: true });
  const gateway = await startGateway({ configFile: file, watch: false, logger, adminPort: 0 });
  const client = new Pool(`http://127.0.0.1:${gateway.listeners[0].port}`, { connections: 1 });
  const path = trafficPath(routes);
  const pools0 = gateway.store.pools.size;
  const samples: { reloads: number; heap: number; heapTotal: number; external: number; rss: number }[] = [];
  const sample = (n: number) => {
    gc();
    gc();
    const m = process.memoryUsage();
    samples.push({ reloads: n, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss });
  };
  const t0 = performance.now();
  sample(0);
  let poolsChanged = 0;
  for (let n = 1; n <= reloads; n++) {
    const outcome = await gateway.reload();
    if (!outcome.ok) throw new Error(outcome.issues[0].message);
    const res = await client.request({ method: "GET", path });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    if (gateway.store.pools.size !== pools0) poolsChanged++;
    if (n % 100 === 0) sample(n);
  }
  const seconds = (performance.now() - t0) / 1000;
  await client.close();
  await gateway.shutdown(1_000);

  // Least-squares slope over the second half: the first reloads grow V8's young generation and the
  // allocator's arenas to their working size, which is not a leak.
  const fit = samples.filter((s) => s.reloads >= reloads / 2);
  const slope = (key: "heap" | "rss") => {
    const mx = fit.reduce((a, s) => a + s.reloads, 0) / fit.length;
    const my = fit.reduce((a, s) => a + s[key], 0) / fit.length;
    const num = fit.reduce((a, s) => a + (s.reloads - mx) * (s[key] - my), 0);
    const den = fit.reduce((a, s) => a + (s.reloads - mx) ** 2, 0);
    return num / den;
  };
  console.log(
    `(c) ${reloads} in-process reloads of ${routes} routes in ${seconds.toFixed(0)} s ` +
      `(${ms((seconds * 1000) / reloads)} each, with one request after each); pools ${pools0} throughout: ` +
      `${poolsChanged === 0 ? "yes" : `no, ${poolsChanged} times different`}`,
  );
  for (const s of samples) {
    console.log(
      `    after ${String(s.reloads).padStart(5)} reloads: heapUsed ${mib(s.heap).padStart(10)}` +
        `  heapTotal ${mib(s.heapTotal).padStart(10)}  external ${mib(s.external).padStart(9)}` +
        `  rss ${mib(s.rss).padStart(10)}`,
    );
  }
  console.log(
    `    slope over the second half: heap ${(slope("heap") / 1024).toFixed(2)} KiB/reload, ` +
      `rss ${(slope("rss") / 1024).toFixed(2)} KiB/reload`,
  );
}

// ---------------------------------------------------------------------------------------------------

const upstream = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
  res.end("ok");
});
upstream.keepAliveTimeout = 60_000;
await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
const dir = await mkdtemp(join(tmpdir(), "portcullis-reload-bench-"));
const file = join(dir, "routes.yaml");
const text = stringify(config(ROUTES, upstreamUrl));
await writeFile(file, text);
// The machine is shared: the load average says how much of a figure is other people's work.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
console.log(
  `node ${process.version}; config: ${ROUTES} routes, ${(text.length / 1024).toFixed(0)} KiB of YAML; ` +
    `load average ${load()}`,
);
try {
  if (parts.has("a")) await partA(file);
  if (parts.has("b")) await partB(file);
  if (parts.has("c")) await partC(dir, upstreamUrl);
  console.log(`load average at the end: ${load()}`);
} finally {
  upstream.closeAllConnections();
  upstream.close();
  await rm(dir, { recursive: true, force: true });
  await sleep(0);
}
