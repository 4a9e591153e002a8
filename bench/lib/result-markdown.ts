// bench/results/latest.md: the same tables as the console, with the settings and the machine.
import type { Machine } from "./machine.ts";
import { markdown, type Table } from "./report.ts";
import type { Settings } from "./settings.ts";
import type { WrkResult } from "./wrk.ts";

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (share: number) => `${Math.round(share * 100)}%`;

export function resultMarkdown(
  s: Settings,
  meta: Machine & { backgroundLoad: number[] },
  backend: WrkResult,
  tables: { throughput: Table; latency: Table; perRound: Table },
  warnings: string[],
  skipped: { target: string; reason: string }[],
  failures: { target: string; round: number; error: string }[],
): string {
  const lines = [
    "# Benchmark: latest run",
    "",
    `${meta.date}, commit ${meta.commit}${meta.uncommittedSrc ? " plus uncommitted changes under src/" : ""}. Node ${meta.node}, undici ${meta.undici}, ${meta.nginx}, ${meta.wrk}.`,
    `${meta.cpus} × ${meta.cpu}, Linux ${meta.kernel}, load average at start ${meta.loadAverage.join(" ")};`,
    `other work on the CPUs just before the start: ${meta.backgroundLoad.map(pct).join(" / ")}.`,
    "",
    `Proxy on CPU ${s.proxyCpu}; wrk, the fixed-rate client and the backend (nginx \`return 200\`) on CPU ${s.loadCpu}.`,
    `Each proxy is started fresh per round, warmed up ${s.warmupS} s, then measured with \`wrk -t1 -c${s.connections} -d${s.durationS}s\`;`,
    `${s.rounds} rounds, proxies interleaved. Ratios are taken inside each round, then the median (min–max) is shown.`,
    `Node flags for the Node proxies: ${s.nodeFlags.length ? `\`${s.nodeFlags.join(" ")}\`` : "none"}; nice ${s.nice}.`,
    "",
    `Backend alone: ${fmtInt(backend.reqPerSec)} req/s.`,
    "",
    "## Throughput (closed loop, saturation)",
    "",
    markdown(tables.throughput),
    "",
  ];
  if (s.latency) {
    lines.push(
      `## Latency at a fixed ${s.rate} req/s (open loop, ${s.latencyDurationS} s, medians of rounds)`,
      "",
      markdown(tables.latency),
      "",
    );
  }
  lines.push("## Every round", "", markdown(tables.perRound), "");
  const notes = [
    ...warnings.map((w) => `- Warning: ${w}`),
    ...skipped.map((x) => `- Skipped ${x.target}: ${x.reason}`),
    ...failures.map((f) => `- Failed ${f.target} (round ${f.round}): ${f.error.split("\n")[0]}`),
  ];
  if (notes.length) lines.push("## Notes", "", ...notes, "");
  return lines.join("\n");
}
