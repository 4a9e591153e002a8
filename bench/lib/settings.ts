// The benchmark's settings, read once from the environment (documented in docs/benchmarks.md).
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("../..", import.meta.url));

function list(name: string, fallback: string): string[] {
  return (process.env[name] || fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${process.env[name]}"`);
  return value;
}

export const settings = {
  rounds: positive("ROUNDS", 3),
  durationS: positive("DURATION", 10),
  warmupS: positive("WARMUP", 3),
  connections: positive("CONNECTIONS", 50),
  /** Fixed-rate latency run: requests per second and seconds; LATENCY=0 skips it. */
  rate: positive("RATE", 2000),
  latencyDurationS: positive("LATENCY_DURATION", 10),
  latency: process.env.LATENCY !== "0",
  proxies: list("PROXIES", "nginx,bare,portcullis"),
  scenarios: list("SCENARIOS", "plain"),
  /** "on" (production default), "off", or "on,off" for both variants. */
  accessLog: list("ACCESS_LOG", "on"),
  /** Extra Node.js flags for both Node proxies, e.g. "--max-semi-space-size=16". */
  nodeFlags: (process.env.NODE_FLAGS ?? "").split(/\s+/).filter(Boolean),
  /** Nice value for every benchmark process and the driver's session (negative needs root). */
  nice: Number(process.env.NICE || 0),
  proxyCpu: 0,
  loadCpu: 1,
  resultsDir: process.env.RESULTS_DIR || join(repo, "bench/results"),
};

export type Settings = typeof settings;
