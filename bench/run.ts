// `npm run bench`: Portcullis against nginx and a bare node:http + undici forwarder, in the same run, on
// the same backend, following docs/benchmarks.md. Settings come from the environment (lib/settings.ts).
// Exit code: 0 when every target was measured (or cleanly skipped), 1 when a target failed, 2 when the
// harness itself broke. A ratio never changes the exit code.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type FixedRateResult, runFixedRate } from "./lib/latency.ts";
import { backgroundLoad, describeMachine, prioritize } from "./lib/machine.ts";
import { startNginx } from "./lib/nginx.ts";
import {
  cpuTicks,
  freePort,
  killAllSync,
  type Proc,
  defaults as procDefaults,
  reapedChildrenCpuMicros,
  runPinned,
  sleep,
  startPinned,
  stop,
  tail,
  treeCpuMicros,
  treeRssBytes,
  waitUntilServing,
} from "./lib/procs.ts";
import {
  latencyTable,
  perRoundTable,
  type RunResult,
  type Summary,
  summarize,
  text,
  throughputTable,
} from "./lib/report.ts";
import { resultMarkdown } from "./lib/result-markdown.ts";
import { repo, settings } from "./lib/settings.ts";
import { runWrk, type WrkResult } from "./lib/wrk.ts";
import { scenarios } from "./scenarios/index.ts";

const NGINX = "nginx (1 worker, upstream keepalive)";
const BARE = "bare forwarder (node:http + undici Pool)";

interface Started {
  proc: Proc;
  url: string;
  headers: Record<string, string>;
  /** Portcullis's stdout, where its access log goes. */
  accessLogPath?: string;
}
interface Target {
  id: string;
  start(): Promise<Started>;
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (share: number) => `${Math.round(share * 100)}%`;

async function main(): Promise<number> {
  for (const proxy of settings.proxies) {
    if (!["nginx", "bare", "portcullis"].includes(proxy))
      throw new Error(`PROXIES: unknown proxy "${proxy}"`);
  }
  for (const name of settings.scenarios) {
    if (!scenarios.has(name))
      throw new Error(`SCENARIOS: unknown "${name}" (known: ${[...scenarios.keys()]})`);
  }
  for (const v of settings.accessLog) if (v !== "on" && v !== "off") throw new Error(`ACCESS_LOG: "${v}"?`);
  procDefaults.nice = settings.nice;
  if (settings.nice) prioritize(settings.nice, log);
  const pin = await runPinned("taskset check", "true", [], { cpu: settings.loadCpu, timeoutMs: 5_000 });
  if (pin.code !== 0) throw new Error(`cannot pin to CPU ${settings.loadCpu}: ${pin.stderr.trim()}`);

  const dir = mkdtempSync(join(os.tmpdir(), "portcullis-bench-"));
  tempDir = dir;
  const meta = { ...describeMachine(repo), backgroundLoad: await backgroundLoad(2_000) };
  log(`Node ${process.version} (${process.execPath}), undici ${meta.undici}, ${meta.nginx}, ${meta.wrk}`);
  log(`${meta.cpus} × ${meta.cpu}, Linux ${meta.kernel}, load average ${meta.loadAverage.join(" ")}`);
  log(
    `before starting, other work used ${meta.backgroundLoad.map((l, i) => `CPU ${i}: ${pct(l)}`).join(", ")}`,
  );
  log(`temp dir ${dir}`);

  const backendPort = await freePort();
  const backendOrigin = `http://127.0.0.1:${backendPort}`;
  const backend = startNginx("backend", dir, settings.loadCpu, { PORT: backendPort });
  await waitUntilServing(backend, `${backendOrigin}/`, {}, 10_000);

  // The backend alone, same CPU as the load generator: it must outrun every proxy by a wide margin.
  await wrk(`${backendOrigin}/`, {}, settings.warmupS);
  const backendWrk = await wrk(`${backendOrigin}/`, {}, settings.durationS);
  log(`backend alone (nginx return 200, wrk on the same CPU): ${fmtInt(backendWrk.reqPerSec)} req/s`);
  const backendLatency = settings.latency ? await fixedRate(`${backendOrigin}/`, {}) : undefined;
  if (backendLatency) log(`backend alone at ${settings.rate} req/s: ${describeLatency(backendLatency)}`);

  const skipped: { target: string; reason: string }[] = [];
  const targets = buildTargets(dir, backendPort, backendOrigin, skipped);
  for (const s of skipped) log(`SKIP ${s.target}: ${s.reason}`);

  const runs: RunResult[] = [];
  const failures: { target: string; round: number; error: string }[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of targets) {
      if (failures.some((f) => f.target === target.id)) continue;
      try {
        const run = await measure(target, round, backend.pid);
        runs.push(run);
        log(`[round ${round}/${settings.rounds}] ${target.id}: ${describeRun(run)}`);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        failures.push({ target: target.id, round, error });
        log(`FAIL [round ${round}] ${target.id}: ${error}`);
      }
    }
  }
  await stop(backend);

  const ids = targets.map((t) => t.id);
  const summaries = summarize(runs, ids, NGINX, BARE);
  const warnings = checks(meta, backendWrk, summaries, runs);
  const tables = {
    throughput: throughputTable(summaries),
    latency: latencyTable([
      ...(backendLatency
        ? [{ target: "backend alone (client floor)", latency: latencyOf(backendLatency) }]
        : []),
      ...summaries.filter((s) => s.latency).map((s) => ({ target: s.target, latency: s.latency! })),
    ]),
    perRound: perRoundTable(runs),
  };

  console.log(
    `\nThroughput: wrk -t1 -c${settings.connections} -d${settings.durationS}s, ${settings.rounds} rounds`,
  );
  console.log(text(tables.throughput));
  if (settings.latency) {
    console.log(
      `\nLatency at a fixed ${settings.rate} req/s for ${settings.latencyDurationS}s (medians of rounds)`,
    );
    console.log(text(tables.latency));
  }
  for (const w of warnings) console.log(`WARNING: ${w}`);
  for (const s of skipped) console.log(`SKIPPED: ${s.target}: ${s.reason}`);
  for (const f of failures) console.log(`FAILED: ${f.target} (round ${f.round}): ${f.error}`);
  console.log(`\nNode ${process.version} for the Node proxies and the fixed-rate client.`);

  mkdirSync(settings.resultsDir, { recursive: true });
  const result = {
    meta,
    settings,
    backend: { reqPerSec: backendWrk.reqPerSec, wrk: backendWrk, latency: backendLatency },
    summaries,
    runs,
    skipped,
    failures,
    warnings,
  };
  writeFileSync(join(settings.resultsDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    join(settings.resultsDir, "latest.md"),
    resultMarkdown(settings, meta, backendWrk, tables, warnings, skipped, failures),
  );
  log(`wrote ${join(settings.resultsDir, "latest.md")} and latest.json`);

  if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir} for its logs`);
  return failures.length ? 1 : 0;
}

function buildTargets(
  dir: string,
  backendPort: number,
  backendOrigin: string,
  skipped: { target: string; reason: string }[],
): Target[] {
  const targets: Target[] = [];
  if (settings.proxies.includes("nginx")) {
    targets.push({
      id: NGINX,
      async start() {
        const port = await freePort();
        const proc = startNginx("proxy", dir, settings.proxyCpu, { PORT: port, UPSTREAM_PORT: backendPort });
        return { proc, url: `http://127.0.0.1:${port}/`, headers: {} };
      },
    });
  }
  if (settings.proxies.includes("bare")) {
    targets.push({
      id: BARE,
      async start() {
        const port = await freePort();
        const proc = startPinned(
          "bare forwarder",
          process.execPath,
          [...settings.nodeFlags, "bench/bare-forwarder.ts", String(port), backendOrigin],
          { cpu: settings.proxyCpu, cwd: repo, stderrPath: join(dir, "bare-forwarder.stderr.log") },
        );
        return { proc, url: `http://127.0.0.1:${port}/`, headers: {} };
      },
    });
  }
  if (!settings.proxies.includes("portcullis")) return targets;
  for (const name of settings.scenarios) {
    for (const accessLog of settings.accessLog.map((v) => v === "on")) {
      const id = `portcullis ${name}${accessLog ? "" : " (no access log)"}`;
      if (!existsSync(join(repo, "src/cli.ts"))) {
        skipped.push({ target: id, reason: "src/cli.ts does not exist yet (no `portcullis start`)" });
        continue;
      }
      const scenario = scenarios.get(name)!;
      targets.push({
        id,
        async start() {
          const [listenPort, adminPort] = [await freePort(), await freePort()];
          const scenarioDir = join(dir, `scenario-${name}`);
          mkdirSync(scenarioDir, { recursive: true });
          const setup = await scenario.setup({
            listenPort,
            adminPort,
            backendOrigin,
            accessLog,
            dir: scenarioDir,
          });
          const configPath = join(scenarioDir, `portcullis${accessLog ? "" : "-no-access-log"}.yaml`);
          writeFileSync(configPath, stringify(setup.config));
          const stem = join(dir, `portcullis-${name}${accessLog ? "" : "-no-access-log"}`);
          const proc = startPinned(
            id,
            process.execPath,
            [...settings.nodeFlags, "src/cli.ts", "start", "--config", configPath],
            {
              cpu: settings.proxyCpu,
              cwd: repo,
              stdoutPath: `${stem}.stdout.log`,
              stderrPath: `${stem}.stderr.log`,
            },
          );
          const path = setup.request?.path ?? "/";
          return {
            proc,
            url: `http://127.0.0.1:${listenPort}${path}`,
            headers: setup.request?.headers ?? {},
            accessLogPath: `${stem}.stdout.log`,
          };
        },
      });
    }
  }
  return targets;
}

/** One target, one fresh process: warm up, measure throughput, then latency at a fixed rate; stop it. */
async function measure(target: Target, round: number, backendPid: number): Promise<RunResult> {
  const started = await target.start();
  const { proc, url, headers } = started;
  let run: RunResult;
  try {
    await waitUntilServing(proc, url, headers, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${tail(proc.stderrPath)}\n${tail(proc.stdoutPath)}`.trim());
    });
    await wrk(url, headers, settings.warmupS);
    const cpuBefore = treeCpuMicros(proc.pid);
    const loadSideBefore = treeCpuMicros(backendPid) + reapedChildrenCpuMicros();
    const machineBefore = cpuTicks();
    const wallBefore = performance.now();
    const result = await wrk(url, headers, settings.durationS);
    const cpu = treeCpuMicros(proc.pid) - cpuBefore;
    const machineAfter = cpuTicks();
    const loadSide = treeCpuMicros(backendPid) + reapedChildrenCpuMicros() - loadSideBefore;
    const wallMicros = (performance.now() - wallBefore) * 1000;
    const delta = (pick: (t: typeof machineAfter) => number[], cpuIndex: number) =>
      (pick(machineAfter)[cpuIndex] - pick(machineBefore)[cpuIndex]) / wallMicros;
    assertAlive(proc);
    run = {
      round,
      target: target.id,
      wrk: result,
      cpuUsPerReq: cpu / result.requests,
      cpuBusy: cpu / wallMicros,
      rssBytes: treeRssBytes(proc.pid),
      machine: {
        otherOnProxyCpu: Math.max(0, delta((t) => t.busy, settings.proxyCpu) - cpu / wallMicros),
        otherOnLoadCpu: Math.max(0, delta((t) => t.busy, settings.loadCpu) - loadSide / wallMicros),
        loadCpuBusy: delta((t) => t.busy, settings.loadCpu),
        steal: delta((t) => t.steal, settings.proxyCpu) + delta((t) => t.steal, settings.loadCpu),
      },
    };
    if (settings.latency) {
      await sleep(1_000);
      const before = treeCpuMicros(proc.pid);
      const latency = await fixedRate(url, headers);
      assertAlive(proc);
      // The client's own 1 s warm-up phase sends at the same rate, so count its requests too.
      const served = latency.rate * (latency.durationS + 1);
      run.latency = { ...latency, cpuUsPerReq: (treeCpuMicros(proc.pid) - before) / served };
    }
  } finally {
    await stop(proc);
  }
  if (started.accessLogPath) {
    run.accessLog = await countLines(started.accessLogPath);
    // At ~500 bytes a line, a run writes hundreds of MB; the count is all the report needs.
    rmSync(started.accessLogPath, { force: true });
  }
  return run;
}

function assertAlive(proc: Proc): void {
  if (proc.state.exit !== undefined) {
    throw new Error(
      `${proc.name} exited (${proc.state.exit}) during the run\n${tail(proc.stderrPath)}`.trim(),
    );
  }
}

function wrk(url: string, headers: Record<string, string>, durationS: number): Promise<WrkResult> {
  return runWrk({ url, headers, durationS, cpu: settings.loadCpu, connections: settings.connections });
}

function fixedRate(url: string, headers: Record<string, string>): Promise<FixedRateResult> {
  return runFixedRate({
    url,
    headers,
    cpu: settings.loadCpu,
    rate: settings.rate,
    durationS: settings.latencyDurationS,
    warmupS: 1,
  });
}

async function countLines(path: string): Promise<{ lines: number; bytesPerLine: number }> {
  let lines = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return { lines, bytesPerLine: lines ? bytes / lines : 0 };
}

function latencyOf(l: FixedRateResult): NonNullable<Summary["latency"]> {
  return { ...l, cpuUsPerReq: Number.NaN, errors: l.errors + l.non2xx };
}

function describeLatency(l: FixedRateResult): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "—");
  return `p50 ${f(l.p50Ms)} ms, p99 ${f(l.p99Ms)} ms, p99.9 ${f(l.p999Ms)} ms (achieved ${fmtInt(l.achievedRate)} req/s, ${l.errors + l.non2xx} errors, client late p99 ${f(l.lateP99Ms)} ms)`;
}

function describeRun(r: RunResult): string {
  const parts = [
    `${fmtInt(r.wrk.reqPerSec)} req/s`,
    `${r.cpuUsPerReq.toFixed(1)} CPU µs/req`,
    `busy ${Math.round(r.cpuBusy * 100)}%`,
    `p99 ${r.wrk.p99Ms.toFixed(2)} ms`,
    `RSS ${Math.round(r.rssBytes / 1_048_576)} MiB`,
    `other work on CPU ${settings.proxyCpu}/${settings.loadCpu}: ${pct(r.machine.otherOnProxyCpu)}/${pct(r.machine.otherOnLoadCpu)}`,
  ];
  if (r.wrk.errors || r.wrk.non2xx) parts.push(`${r.wrk.errors} socket errors, ${r.wrk.non2xx} non-2xx`);
  if (r.accessLog) parts.push(`access log ${r.accessLog.bytesPerLine.toFixed(0)} B/line`);
  if (r.latency) parts.push(`fixed rate: ${describeLatency(r.latency)}`);
  return parts.join(", ");
}

/** Things that make a run's figures doubtful; reported, never fatal. */
function checks(
  meta: { backgroundLoad: number[] },
  backend: WrkResult,
  summaries: Summary[],
  runs: RunResult[],
): string[] {
  const warnings: string[] = [];
  const fastest = Math.max(...summaries.map((s) => s.reqPerSec.median));
  if (backend.reqPerSec < 1.25 * fastest) {
    warnings.push(
      `the backend alone did ${fmtInt(backend.reqPerSec)} req/s, less than 1.25× the fastest proxy (${fmtInt(fastest)}): the backend may be what was measured`,
    );
  }
  for (const s of summaries) {
    if (s.errors) warnings.push(`${s.target}: ${s.errors} socket errors or non-2xx answers under wrk`);
    if (s.latency?.errors) warnings.push(`${s.target}: ${s.latency.errors} errors in the fixed-rate run`);
    if (s.latency && s.latency.achievedRate < 0.98 * settings.rate) {
      warnings.push(`${s.target}: the fixed-rate run achieved only ${fmtInt(s.latency.achievedRate)} req/s`);
    }
    if (s.latency && s.latency.lateP99Ms > 5) {
      warnings.push(
        `${s.target}: the fixed-rate client started requests up to ${s.latency.lateP99Ms.toFixed(1)} ms late (p99)`,
      );
    }
    const spreadRatio = s.reqPerSec.max / s.reqPerSec.min;
    if (spreadRatio > 1.2) {
      warnings.push(
        `${s.target}: req/s varied ${Math.round((spreadRatio - 1) * 100)}% across rounds (noisy machine)`,
      );
    }
  }
  if (Math.max(...meta.backgroundLoad) > 0.2) {
    warnings.push(
      `other work was using ${meta.backgroundLoad.map(pct).join(" / ")} of the CPUs before the benchmark started`,
    );
  }
  // A proxy that never saturated its CPU was held back by the load side (CPU 1: wrk and the backend).
  for (const s of summaries) {
    const maxBusy = Math.max(...runs.filter((r) => r.target === s.target).map((r) => r.cpuBusy));
    if (maxBusy < 0.9) {
      warnings.push(
        `${s.target} never used more than ${pct(maxBusy)} of its CPU: its req/s is capped by the load generator and backend sharing CPU ${settings.loadCpu}; compare CPU µs/req`,
      );
    }
  }
  // Other work on an unsaturated proxy's CPU only used idle time; on a saturated one it took time from the
  // proxy. Other work on the load CPU competes with wrk and the backend; here, runs that had it were also
  // the ones where the Node proxies spent up to 60% more CPU per request, though a spinning process at
  // nice 19 on that CPU did not reproduce it: treat such runs as noisy, not explained.
  const contended = runs.filter(
    (r) =>
      (r.machine.otherOnProxyCpu > 0.05 && r.cpuBusy > 0.9) ||
      r.machine.otherOnLoadCpu > 0.1 ||
      r.machine.steal > 0.05,
  );
  if (contended.length) {
    warnings.push(
      `in ${contended.length} of ${runs.length} runs other work shared the CPUs (or the hypervisor stole time): see "Every round"${settings.nice ? "" : "; NICE=-10 (as root) gives the benchmark priority"}`,
    );
  }
  if (runs.length === 0) warnings.push("no target was measured");
  return warnings;
}

/** Removed when the run is interrupted; kept when a proxy or the harness fails, for its logs. */
let tempDir: string | undefined;
let watchdog: NodeJS.Timeout | undefined;
function arm(): void {
  const perRun =
    30 +
    settings.warmupS +
    settings.durationS +
    (settings.latency ? 2 + settings.latencyDurationS + 30 : 0) +
    10;
  const targets = settings.proxies.length - 1 + settings.scenarios.length * settings.accessLog.length;
  const budgetS = 60 + perRun * (1 + settings.rounds * targets);
  watchdog = setTimeout(() => {
    console.error(`bench: still running after ${budgetS} s; stopping everything`);
    killAllSync();
    process.exit(2);
  }, budgetS * 1000);
}

process.on("exit", killAllSync);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAllSync();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    process.exit(130);
  });
}
arm();
main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (e: unknown) => {
    clearTimeout(watchdog);
    console.error(`bench: harness failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (tempDir) console.error(`bench: logs kept in ${tempDir}`);
    killAllSync();
    process.exitCode = 2;
  },
);
