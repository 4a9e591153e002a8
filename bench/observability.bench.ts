// Micro-benchmark of the per-request observability cost: one access-log line and one recordRequest().
// Run: node_modules/.bin/node bench/observability.bench.ts   (single process, about 10 s; no load on the network)
// The "reference" rows are the straightforward alternatives this code avoids, measured in the same run.
import { setImmediate as tick } from "node:timers/promises";
import { Counter, Histogram, Registry } from "prom-client";
import { type AccessRecord, createAccessLogger } from "../src/observability/access-log.ts";
import { createLogger, flushLogger, type Logger } from "../src/observability/logger.ts";
import { LATENCY_BUCKETS, Metrics } from "../src/observability/metrics.ts";

// Calls between yields: a server handling a few concurrent requests turns its event loop about this often,
// which is when the asynchronous log destination gets to write.
const BATCH = 16;
const CALLS = 100_000;
const ROUNDS = 5;

const ROUTES = ["users", "orders", "search", "-"];
const STATUSES = [200, 200, 200, 201, 404, 502];
const records: AccessRecord[] = [];
for (let i = 0; i < 64; i++) {
  records.push({
    requestId: `01JD3Z8K6Q9V2X4M7N5P0R${String(i).padStart(4, "0")}`,
    method: i % 5 === 0 ? "POST" : "GET",
    host: "api.example.com",
    path: `/v1/${ROUTES[i % 4]}/${i * 7919}`,
    protocol: "HTTP/1.1",
    clientIp: `203.0.113.${i}`,
    userAgent:
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
    route: ROUTES[i % 4] === "-" ? undefined : ROUTES[i % 4],
    upstream: "users-svc",
    target: "10.0.0.5:8080",
    status: STATUSES[i % STATUSES.length],
    bytesIn: i * 13,
    bytesOut: 512 + i,
    durationMs: 0.8 + i / 10,
    upstreamDurationMs: 0.6 + i / 10,
    flag: STATUSES[i % STATUSES.length] === 502 ? "UF" : "-",
  });
}

/**
 * Prints two figures per call: "in call", the time spent inside fn (what the request path pays), and
 * "wall", which adds the yields between batches and so the event-loop work of an asynchronous destination.
 */
async function measure(name: string, fn: (i: number) => void, drain?: () => Promise<void>): Promise<void> {
  const inCall: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    let inside = 0n;
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; ) {
      const t = process.hrtime.bigint();
      for (let k = 0; k < BATCH; k++) fn(i++);
      inside += process.hrtime.bigint() - t;
      await tick();
    }
    if (drain) await drain();
    if (round === 0) continue; // warms up the JIT
    inCall.push(Number(inside) / CALLS);
    wall.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  const med = (xs: number[]) =>
    xs
      .sort((a, b) => a - b)
      [xs.length >> 1].toFixed(0)
      .padStart(6);
  console.log(`${name.padEnd(60)} ${med(inCall)} ns in call ${med(wall)} ns wall`);
}

/** The same ECS content as the access line, built as an object and passed to logger.info(). */
function viaLoggerInfo(log: Logger): (r: AccessRecord) => void {
  return (r) =>
    log.info(
      {
        event: {
          kind: "event",
          category: ["web"],
          type: ["access"],
          dataset: "portcullis.access",
          duration: r.durationMs * 1e6,
        },
        http: {
          version: "1.1",
          request: { id: r.requestId, method: r.method, body: { bytes: r.bytesIn } },
          response: { status_code: r.status, body: { bytes: r.bytesOut } },
        },
        url: { domain: r.host, path: r.path },
        client: { ip: r.clientIp },
        user_agent: { original: r.userAgent },
        transaction: { id: r.requestId },
        portcullis: { route: r.route, upstream: r.upstream, target: r.target, flag: r.flag },
      },
      `${r.method} ${r.path} ${r.status}`,
    );
}

console.log(
  `node ${process.version}; ${CALLS} calls per round in batches of ${BATCH}, median of ${ROUNDS} rounds`,
);
console.log(
  "(wall includes one setImmediate per batch, about 1 us / 16 = 60 ns per call, even for a no-op)\n",
);

await measure("baseline: empty function", () => {});

// A destination that discards: the cost of building the line alone.
const sink = { write: (_s: string) => true };
const toSink = createLogger({ level: "info", destination: sink as unknown as NodeJS.WritableStream });
const formatOnly = createAccessLogger(toSink, true);
await measure("access log, line built, sink discards", (i) => formatOnly(records[i & 63]));
const infoOnly = viaLoggerInfo(toSink);
await measure("reference: same fields via logger.info(object), sink", (i) => infoOnly(records[i & 63]));

const buffered = createLogger({ level: "info", destination: "/dev/null" });
const access = createAccessLogger(buffered, true);
await measure(
  "access log, /dev/null, buffered async (default)",
  (i) => access(records[i & 63]),
  () => flushLogger(buffered),
);
const syncLog = createLogger({ level: "info", destination: "/dev/null", sync: true });
const accessSync = createAccessLogger(syncLog, true);
await measure("access log, /dev/null, sync (one write(2) per line)", (i) => accessSync(records[i & 63]));
const off = createAccessLogger(buffered, false);
await measure("access log, disabled", (i) => off(records[i & 63]));

const metrics = new Metrics({ defaultMetrics: false });
await measure("recordRequest (4 routes x 2 methods x 4 codes, upstream)", (i) => {
  const r = records[i & 63];
  metrics.recordRequest(
    r.route ?? "-",
    r.method,
    r.status,
    r.durationMs / 1000,
    r.upstream,
    r.upstreamDurationMs! / 1000,
  );
});

// prom-client's own children, resolved once (no labels() per call): what the nested-Map cache would give.
const reg = new Registry();
const c = new Counter({
  name: "c_total",
  help: "h",
  labelNames: ["route", "method", "code"],
  registers: [reg],
});
const h1 = new Histogram({
  name: "d_seconds",
  help: "h",
  labelNames: ["route"],
  buckets: [...LATENCY_BUCKETS],
  registers: [reg],
});
const h2 = new Histogram({
  name: "u_seconds",
  help: "h",
  labelNames: ["upstream"],
  buckets: [...LATENCY_BUCKETS],
  registers: [reg],
});
const counters = records.map((r) => c.labels(r.route ?? "-", r.method, String(r.status)));
const durations = records.map((r) => h1.labels(r.route ?? "-"));
const upstream = h2.labels("users-svc");
await measure("reference: prom-client children, pre-resolved", (i) => {
  const r = records[i & 63];
  counters[i & 63].inc();
  durations[i & 63].observe(r.durationMs / 1000);
  upstream.observe(r.upstreamDurationMs! / 1000);
});
