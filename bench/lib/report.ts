// Turns per-round measurements into the summary: medians across rounds, and ratios taken inside each round
// (the machine's speed drifts between rounds; two proxies measured a few seconds apart drift much less).
import type { FixedRateResult } from "./latency.ts";
import { median, type Spread, spread } from "./stats.ts";
import type { WrkResult } from "./wrk.ts";

export interface RunResult {
  round: number;
  target: string;
  wrk: WrkResult;
  /** Proxy CPU time (user + system, whole process tree) per request during the measured run. */
  cpuUsPerReq: number;
  /** Share of one CPU the proxy used during the measured run: near 1 means the proxy was the bottleneck. */
  cpuBusy: number;
  rssBytes: number;
  /** During the measured run, as shares of one CPU: work other than the benchmark's on the proxy's CPU and
   * on the load CPU (busy time minus the proxy, or minus wrk and the backend), how busy the load CPU was,
   * and time stolen by the hypervisor (both CPUs). */
  machine: { otherOnProxyCpu: number; otherOnLoadCpu: number; loadCpuBusy: number; steal: number };
  accessLog?: { lines: number; bytesPerLine: number };
  latency?: FixedRateResult & { cpuUsPerReq: number };
}

export interface Summary {
  target: string;
  rounds: number;
  reqPerSec: Spread;
  ratioToNginx?: Spread;
  ratioToBare?: Spread;
  cpuUsPerReq: number;
  cpuBusy: number;
  p50Ms: number;
  p99Ms: number;
  rssBytes: number;
  errors: number;
  latency?: {
    achievedRate: number;
    p50Ms: number;
    p99Ms: number;
    p999Ms: number;
    maxMs: number;
    cpuUsPerReq: number;
    lateP99Ms: number;
    errors: number;
  };
}

export function summarize(runs: RunResult[], targets: string[], nginx: string, bare: string): Summary[] {
  const ratios = (target: string, reference: string): Spread | undefined => {
    const values: number[] = [];
    for (const run of runs.filter((r) => r.target === target)) {
      const ref = runs.find((r) => r.target === reference && r.round === run.round);
      if (ref) values.push(run.wrk.reqPerSec / ref.wrk.reqPerSec);
    }
    return values.length ? spread(values) : undefined;
  };
  const summaries: Summary[] = [];
  for (const target of targets) {
    const mine = runs.filter((r) => r.target === target);
    if (mine.length === 0) continue;
    const m = (pick: (r: RunResult) => number) => median(mine.map(pick));
    const lat = mine.filter((r) => r.latency).map((r) => r.latency!);
    const ml = (pick: (l: NonNullable<RunResult["latency"]>) => number) => median(lat.map(pick));
    summaries.push({
      target,
      rounds: mine.length,
      reqPerSec: spread(mine.map((r) => r.wrk.reqPerSec)),
      ratioToNginx: ratios(target, nginx),
      ratioToBare: ratios(target, bare),
      cpuUsPerReq: m((r) => r.cpuUsPerReq),
      cpuBusy: m((r) => r.cpuBusy),
      p50Ms: m((r) => r.wrk.p50Ms),
      p99Ms: m((r) => r.wrk.p99Ms),
      rssBytes: m((r) => r.rssBytes),
      errors: mine.reduce((sum, r) => sum + r.wrk.errors + r.wrk.non2xx, 0),
      latency: lat.length
        ? {
            achievedRate: ml((l) => l.achievedRate),
            p50Ms: ml((l) => l.p50Ms),
            p99Ms: ml((l) => l.p99Ms),
            p999Ms: ml((l) => l.p999Ms),
            maxMs: ml((l) => l.maxMs),
            cpuUsPerReq: ml((l) => l.cpuUsPerReq),
            lateP99Ms: ml((l) => l.lateP99Ms),
            errors: lat.reduce((sum, l) => sum + l.errors + l.non2xx, 0),
          }
        : undefined,
    });
  }
  return summaries;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const ms = (n: number) => fixed(n, n < 10 ? 2 : 1);
const withRange = (s: Spread | undefined, fmt: (n: number) => string) =>
  s ? (s.min === s.max ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`) : "—";

export type Table = { header: string[]; rows: string[][] };

export function throughputTable(summaries: Summary[]): Table {
  return {
    header: [
      "proxy",
      "req/s median (min–max)",
      "ratio to nginx",
      "ratio to bare forwarder",
      "CPU µs/req",
      "p50 ms",
      "p99 ms",
      "RSS after run",
      "proxy CPU busy",
    ],
    rows: summaries.map((s) => [
      s.target,
      withRange(s.reqPerSec, int),
      withRange(s.ratioToNginx, (n) => fixed(n, 2)),
      withRange(s.ratioToBare, (n) => fixed(n, 2)),
      fixed(s.cpuUsPerReq, 1),
      ms(s.p50Ms),
      ms(s.p99Ms),
      `${int(s.rssBytes / 1_048_576)} MiB`,
      `${int(s.cpuBusy * 100)}%`,
    ]),
  };
}

export function latencyTable(rows: { target: string; latency: NonNullable<Summary["latency"]> }[]): Table {
  return {
    header: ["proxy", "achieved req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "CPU µs/req", "errors"],
    rows: rows.map(({ target, latency: l }) => [
      target,
      int(l.achievedRate),
      ms(l.p50Ms),
      ms(l.p99Ms),
      ms(l.p999Ms),
      ms(l.maxMs),
      fixed(l.cpuUsPerReq, 1),
      String(l.errors),
    ]),
  };
}

export function perRoundTable(runs: RunResult[]): Table {
  return {
    header: [
      "round",
      "proxy",
      "req/s",
      "CPU µs/req",
      "proxy CPU busy",
      "other work on proxy CPU",
      "other work on load CPU",
      "p99 ms",
      "RSS",
      "fixed-rate p99 ms",
    ],
    rows: runs.map((r) => [
      String(r.round),
      r.target,
      int(r.wrk.reqPerSec),
      fixed(r.cpuUsPerReq, 1),
      `${int(r.cpuBusy * 100)}%`,
      `${int(r.machine.otherOnProxyCpu * 100)}%`,
      `${int(r.machine.otherOnLoadCpu * 100)}%`,
      ms(r.wrk.p99Ms),
      `${int(r.rssBytes / 1_048_576)} MiB`,
      r.latency ? ms(r.latency.p99Ms) : "—",
    ]),
  };
}

/** Column 0 is left-aligned, the rest right-aligned, as figures should be. */
export function markdown({ header, rows }: Table): string {
  const lines = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

export function text({ header, rows }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
