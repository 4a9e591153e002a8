// Runs bench/fixed-rate.ts as its own pinned process, so its timers share nothing with the driver.
import { fileURLToPath } from "node:url";
import { runPinned } from "./procs.ts";

export interface FixedRateResult {
  rate: number;
  durationS: number;
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  achievedRate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** How late the client started requests against the schedule (its timers tick about once a millisecond). */
  lateP99Ms: number;
}

export interface FixedRateOptions {
  url: string;
  cpu: number;
  rate: number;
  durationS: number;
  warmupS: number;
  headers?: Record<string, string>;
}

const script = fileURLToPath(new URL("../fixed-rate.ts", import.meta.url));

export async function runFixedRate(opts: FixedRateOptions): Promise<FixedRateResult> {
  const args = [script, "--url", opts.url, "--rate", String(opts.rate)];
  args.push("--duration", String(opts.durationS), "--warmup", String(opts.warmupS));
  for (const [name, value] of Object.entries(opts.headers ?? {})) args.push("--header", `${name}: ${value}`);
  const { code, stdout, stderr } = await runPinned("fixed-rate client", process.execPath, args, {
    cpu: opts.cpu,
    timeoutMs: (opts.durationS + opts.warmupS + 30) * 1000,
  });
  if (code !== 0) throw new Error(`fixed-rate client exited with ${code}: ${stderr.trim()}`);
  // JSON has no NaN: a percentile of zero answers arrives as null.
  return JSON.parse(stdout, (_, v) => (v === null ? Number.NaN : v)) as FixedRateResult;
}
