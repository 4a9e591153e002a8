// Child processes for the benchmark: started pinned to one CPU, measured through /proc, stopped by PID.
// Every process started here is remembered until it is stopped, so an interrupted run leaves nothing behind.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Set when the process has exited: a proxy that dies mid-run must not pass for a slow one. */
  readonly state: { exit?: number | string };
  readonly stdoutPath?: string;
  readonly stderrPath?: string;
}

const live = new Map<number, Proc>();

/** Applies to every process started here unless a call says otherwise (NICE in bench/run.ts). */
export const defaults = { nice: 0 };

export interface StartOptions {
  cpu: number;
  /** Scheduling priority (nice value); negative values need root. */
  nice?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdoutPath?: string;
  stderrPath?: string;
}

/** `[nice -n N] taskset -c CPU command args`: nice and taskset exec, so the PID is the command's own. */
function pinned(command: string, args: string[], opts: StartOptions): string[] {
  const line = ["taskset", "-c", String(opts.cpu), command, ...args];
  const nice = opts.nice ?? defaults.nice;
  return nice ? ["nice", "-n", String(nice), ...line] : line;
}

/** Starts `command args` pinned to one CPU, its output going to files (or nowhere). */
export function startPinned(name: string, command: string, args: string[], opts: StartOptions): Proc {
  const out = opts.stdoutPath ? openSync(opts.stdoutPath, "w") : "ignore";
  const err = opts.stderrPath ? openSync(opts.stderrPath, "w") : "ignore";
  const [bin, ...argv] = pinned(command, args, opts);
  const child = spawn(bin, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", out, err],
  });
  if (typeof out === "number") closeSync(out);
  if (typeof err === "number") closeSync(err);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const state: Proc["state"] = {};
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      state.exit = code ?? signal ?? "unknown";
      resolve(state.exit);
    }),
  );
  const proc: Proc = {
    name,
    pid: child.pid,
    child,
    exited,
    state,
    stdoutPath: opts.stdoutPath,
    stderrPath: opts.stderrPath,
  };
  live.set(proc.pid, proc);
  exited.then(() => live.delete(proc.pid));
  return proc;
}

/** Runs a pinned command to completion, killing it by PID if it outlives `timeoutMs`. */
export async function runPinned(
  name: string,
  command: string,
  args: string[],
  opts: StartOptions & { timeoutMs: number },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const [bin, ...argv] = pinned(command, args, opts);
  const child = spawn(bin, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  const proc: Proc = { name, pid, child, exited: Promise.resolve(0), state: {} };
  live.set(pid, proc);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => killTree(pid, "SIGKILL"), opts.timeoutMs);
  const code = await new Promise<number | string>((resolve) =>
    child.once("close", (c, signal) => resolve(c ?? signal ?? "unknown")),
  );
  clearTimeout(timer);
  live.delete(pid);
  return { code, stdout, stderr };
}

/** SIGTERM, then SIGKILL after `graceMs`; descendants (nginx workers) are stopped by PID too. */
export async function stop(proc: Proc, graceMs = 5_000): Promise<void> {
  const family = descendants(proc.pid);
  signal(proc.pid, "SIGTERM");
  const timedOut = await Promise.race([
    proc.exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
  ]);
  if (timedOut) signal(proc.pid, "SIGKILL");
  await proc.exited;
  for (const pid of family) signal(pid, "SIGKILL");
  live.delete(proc.pid);
}

/** Synchronous last resort for exit handlers. */
export function killAllSync(): void {
  for (const pid of [...live.keys()]) killTree(pid, "SIGKILL");
  live.clear();
}

function killTree(pid: number, sig: NodeJS.Signals): void {
  const family = descendants(pid);
  signal(pid, sig);
  for (const p of family) signal(p, sig);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** PIDs of all live descendants of `root`, found through the parent field of /proc/PID/stat. */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parentOf.set(Number(entry), Number(stat[1]));
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, ppid] of parentOf) if (frontier.includes(ppid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** Fields of /proc/PID/stat after the command name (field 3 onwards), or undefined if the PID is gone. */
function readStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself contain spaces or parentheses.
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

let ticksPerSecond = 0;
function clockTicks(): number {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time (user + system, all threads) of a process and its descendants, in microseconds. */
export function treeCpuMicros(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...descendants(root)]) {
    const stat = readStat(pid);
    // utime and stime are fields 14 and 15 of the whole line: indexes 11 and 12 after the name.
    if (stat) ticks += Number(stat[11]) + Number(stat[12]);
  }
  return (ticks / clockTicks()) * 1e6;
}

export interface CpuTicks {
  /** Per CPU: time busy (user, nice, system, irq, softirq) and time stolen by the hypervisor, in µs. */
  busy: number[];
  steal: number[];
}

/** Machine-wide CPU accounting from /proc/stat, to tell how much else ran during a measurement. */
export function cpuTicks(): CpuTicks {
  const busy: number[] = [];
  const steal: number[] = [];
  const scale = 1e6 / clockTicks();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const match = /^cpu(\d+) (.+)$/.exec(line);
    if (!match) continue;
    const [user, nice, system, , , irq, softirq, stolen] = match[2].split(" ").map(Number);
    busy[Number(match[1])] = (user + nice + system + irq + softirq) * scale;
    steal[Number(match[1])] = stolen * scale;
  }
  return { busy, steal };
}

/**
 * CPU time of this process's children that have exited and been reaped (cutime + cstime of
 * /proc/self/stat), in µs: across one wrk run, that is wrk's own CPU time.
 */
export function reapedChildrenCpuMicros(): number {
  const stat = readStat(process.pid);
  // cutime and cstime are fields 16 and 17 of the whole line.
  return stat ? ((Number(stat[13]) + Number(stat[14])) / clockTicks()) * 1e6 : 0;
}

/** Resident set size of a process and its descendants, in bytes (shared pages are counted per process). */
export function treeRssBytes(root: number): number {
  let kb = 0;
  for (const pid of [root, ...descendants(root)]) {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (match) kb += Number(match[1]);
    } catch {
      // Exited between listing and reading.
    }
  }
  return kb * 1024;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `GET url` answers 200, the process exits, or the deadline passes. */
export async function waitUntilServing(
  proc: Proc,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.exited.then(() => (exited = true));
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited before serving (${last})`);
    const status = await getStatus(url, headers).catch((e: Error) => e.message);
    if (status === 200) return;
    last = typeof status === "number" ? `HTTP ${status}` : status;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not answer 200 on ${url} within ${timeoutMs} ms (${last})`);
}

function getStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tail(path: string | undefined, lines = 15): string {
  if (!path) return "";
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
