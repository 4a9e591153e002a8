// What the results were measured on, and how busy it was: recorded with every run.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { nginxVersion } from "./nginx.ts";
import { cpuTicks, sleep } from "./procs.ts";

export type Machine = ReturnType<typeof describeMachine>;

export function describeMachine(repo: string) {
  const wrkVersion = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repo, encoding: "utf8" });
  // Portcullis runs from the working tree, which may hold work not yet committed.
  const status = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: repo, encoding: "utf8" });
  const cpu =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model;
  return {
    date: new Date().toISOString(),
    node: process.version,
    undici: JSON.parse(readFileSync(join(repo, "node_modules/undici/package.json"), "utf8"))
      .version as string,
    nginx: nginxVersion(),
    wrk: (wrkVersion.stdout || wrkVersion.stderr)
      .split("\n")[0]
      .replace(/ Copyright.*/, "")
      .trim(),
    cpu,
    cpus: os.availableParallelism(),
    kernel: os.release(),
    loadAverage: os.loadavg().map((n) => n.toFixed(2)),
    commit: git.stdout.trim() || "unknown",
    uncommittedSrc: status.stdout.trim() !== "",
  };
}

/** Share of each CPU that was busy over `ms`, before any benchmark process runs. */
export async function backgroundLoad(ms: number): Promise<number[]> {
  const before = cpuTicks();
  const t0 = performance.now();
  await sleep(ms);
  const after = cpuTicks();
  const wall = (performance.now() - t0) * 1000;
  return after.busy.map((b, i) => (b - before.busy[i]) / wall);
}

/**
 * With autogroup scheduling (Linux's default on desktops and here), CPU time is shared between sessions
 * first and per-process nice values count only inside a session; so the session's own nice is set too,
 * and put back on exit.
 */
export function prioritize(nice: number, warn: (message: string) => void): void {
  const file = "/proc/self/autogroup";
  let previous: string | undefined;
  try {
    previous = /nice (-?\d+)/.exec(readFileSync(file, "utf8"))?.[1];
    writeFileSync(file, String(nice));
  } catch (e) {
    warn(`NICE: could not set the session's priority (${(e as Error).message}); per-process nice only`);
    return;
  }
  if (previous !== undefined) {
    process.on("exit", () => {
      try {
        writeFileSync(file, previous);
      } catch {}
    });
  }
}
