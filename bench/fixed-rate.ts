// Open-loop load at a fixed request rate, for latency percentiles that are not dominated by queueing.
// wrk keeps N requests in flight (closed loop), so at saturation its p99 mostly measures its own queue; wrk2
// is not packaged for Debian, and h2load's --rate paces new connections, not requests, and prints no
// percentiles. So: requests are started on a schedule whatever the answers do, every latency is kept (no
// histogram buckets) and percentiles are exact.
//
// Usage: node bench/fixed-rate.ts --url URL --rate N --duration S [--warmup S] [--connections N]
//          [--header "name: value"]...
// Prints one JSON object (FixedRateResult) on stdout.
import { parseArgs } from "node:util";
import { Pool } from "undici";
import type { FixedRateResult } from "./lib/latency.ts";
import { percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "2000" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "64" },
    header: { type: "string", multiple: true, default: [] },
  },
});
if (!values.url) throw new Error("--url is required");
const url = new URL(values.url);
const rate = Number(values.rate);
const headers: Record<string, string> = {};
for (const h of values.header) {
  const colon = h.indexOf(":");
  headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
}
const pool = new Pool(url.origin, {
  connections: Number(values.connections),
  pipelining: 1,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
});
const path = url.pathname + url.search;

function phase(seconds: number): Promise<FixedRateResult> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  const lateness = new Float64Array(total);
  let sent = 0;
  let settled = 0;
  let completed = 0;
  let errors = 0;
  let non2xx = 0;
  const t0 = performance.now();

  return new Promise((resolve) => {
    const finish = () => {
      const lat = latencies.subarray(0, completed).sort();
      const late = lateness.subarray(0, sent).sort();
      resolve({
        rate,
        durationS: seconds,
        sent,
        completed,
        errors,
        non2xx,
        achievedRate: completed / seconds,
        p50Ms: percentile(lat, 0.5),
        p90Ms: percentile(lat, 0.9),
        p99Ms: percentile(lat, 0.99),
        p999Ms: percentile(lat, 0.999),
        maxMs: lat.length ? lat[lat.length - 1] : Number.NaN,
        lateP99Ms: percentile(late, 0.99),
      });
    };
    const fire = (intended: number) => {
      const start = performance.now();
      lateness[sent++] = start - intended;
      pool.request({ method: "GET", path, headers }).then(
        async ({ statusCode, body }) => {
          await body.dump();
          // Measured from the hand-off to the pool, so time queued for a free connection counts.
          latencies[completed++] = performance.now() - start;
          if (statusCode < 200 || statusCode >= 400) non2xx++;
          if (++settled === total) finish();
        },
        () => {
          errors++;
          if (++settled === total) finish();
        },
      );
    };
    // Starts every request that is due, then sleeps until the next one is; never waits for answers.
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
      while (sent < due) fire(t0 + sent * interval);
      if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
}

await phase(Number(values.warmup));
const result = await phase(Number(values.duration));
await pool.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
