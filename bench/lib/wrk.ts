// Closed-loop throughput with wrk: fixed connections, as fast as the proxy answers.
import { runPinned } from "./procs.ts";

export interface WrkResult {
  requests: number;
  reqPerSec: number;
  /** Latency percentiles from `--latency`, in milliseconds. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Socket errors (connect + read + write + timeout) and answers outside 2xx/3xx. */
  errors: number;
  non2xx: number;
}

export interface WrkOptions {
  url: string;
  cpu: number;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const args = ["-t1", `-c${opts.connections}`, `-d${opts.durationS}s`, "--latency"];
  for (const [name, value] of Object.entries(opts.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(opts.url);
  const { code, stdout, stderr } = await runPinned("wrk", "wrk", args, {
    cpu: opts.cpu,
    timeoutMs: (opts.durationS + 15) * 1000,
  });
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  return parseWrk(stdout);
}

const TO_MS: Record<string, (n: number) => number> = {
  us: (n) => n / 1000,
  ms: (n) => n,
  s: (n) => n * 1000,
  m: (n) => n * 60_000,
  h: (n) => n * 3_600_000,
};

function duration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`wrk: cannot read the duration "${text}"`);
  return TO_MS[match[2]](Number(match[1]));
}

export function parseWrk(output: string): WrkResult {
  const find = (re: RegExp, what: string): RegExpExecArray => {
    const match = re.exec(output);
    if (!match) throw new Error(`wrk: no ${what} in its output:\n${output}`);
    return match;
  };
  const percentile = (p: number) =>
    duration(find(new RegExp(`^\\s+${p}%\\s+(\\S+)[ \\t]*$`, "m"), `${p}%`)[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(find(/^\s+(\d+) requests in /m, "request count")[1]),
    reqPerSec: Number(find(/^Requests\/sec:\s+([\d.]+)/m, "Requests/sec")[1]),
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
  };
}
