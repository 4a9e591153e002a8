// swap: the current plan is one field; a request reads it once and keeps its plan to the end. A retired
// plan's pools are released when its last request finishes. An invalid new config leaves the old plan
// serving and reports every issue.
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { runWarmUps } from "../pipeline/services.ts";
import type { PoolRegistry } from "../upstream/pools.ts";
import type { SharedState } from "./compile.ts";
import { compilePlan, compilePlanSliced, releasePlan } from "./compile.ts";
import { sortIssues } from "./config-error.ts";
import { type ConfigIssue, loadConfigFile, locate } from "./load.ts";
import { OffThreadLoader } from "./off-thread-loader.ts";
import type { RuntimePlan } from "./plan.ts";
import type { Config } from "./schema.ts";

/** How long a reload waits for a new plan's warm-ups (key fetches) before it swaps anyway. */
const RELOAD_WARM_UP_MS = 5000;

export type ReloadOutcome = { ok: true; plan: RuntimePlan } | { ok: false; issues: ConfigIssue[] };

export interface StoreEvents {
  onReload?(outcome: ReloadOutcome, durationMs: number): void;
  /** Target health and breakers, shared by every plan (they outlive reloads). */
  shared?: SharedState;
}

export class PlanStore {
  current: RuntimePlan;
  readonly pools: PoolRegistry;
  readonly #events: StoreEvents;
  #watcher: FSWatcher | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: Promise<ReloadOutcome> | undefined;
  #queuedFile = "";
  readonly #loader = new OffThreadLoader();

  constructor(initial: RuntimePlan, pools: PoolRegistry, events: StoreEvents = {}) {
    this.current = initial;
    this.pools = pools;
    this.#events = events;
  }

  swap(next: RuntimePlan): void {
    const old = this.current;
    this.current = next;
    old.retired = true;
    if (old.inflight === 0) releasePlan(old, this.pools);
  }

  /** Called once per finished request with the plan it started on. */
  done(plan: RuntimePlan): void {
    if (--plan.inflight === 0 && plan.retired) releasePlan(plan, this.pools);
  }

  /**
   * Loads, validates and compiles `file`; swaps only if all of it is good. Reloads never overlap: calls
   * made while one runs share a single follow-up run of the latest file, so every caller's outcome comes
   * from a read that started after its call (the file may have changed since the running one read it).
   */
  reload(file: string): Promise<ReloadOutcome> {
    if (this.#running === undefined && this.#queued === undefined) return this.#start(file);
    this.#queuedFile = file;
    this.#queued ??= (this.#running ?? Promise.resolve()).then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    return this.#queued;
  }

  #startQueued(): Promise<ReloadOutcome> {
    this.#queued = undefined;
    return this.#start(this.#queuedFile);
  }

  #start(file: string): Promise<ReloadOutcome> {
    const run = this.#reload(file).finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #reload(file: string): Promise<ReloadOutcome> {
    const started = performance.now();
    let outcome: ReloadOutcome;
    try {
      outcome = await this.#loadAndCompileOffLoop(file);
    } catch (err) {
      // A fault in compiling must not become an unhandled rejection (SIGHUP, watcher) that stops a gateway
      // which is serving fine: it is reported like any other refused reload.
      const message = `cannot compile the configuration: ${(err as Error).message}`;
      outcome = { ok: false, issues: [{ file, path: "", line: 1, column: 1, message }] };
    }
    if (outcome.ok) {
      // New signing keys are fetched before the plan takes traffic; keys the old plan held are kept.
      await runWarmUps(
        outcome.plan.services.warmUps,
        RELOAD_WARM_UP_MS,
        this.#events.shared?.log ?? (() => {}),
      );
      this.swap(outcome.plan);
    }
    this.#events.onReload?.(outcome, performance.now() - started);
    return outcome;
  }

  /** Reloads when the file changes. Watches the directory: editors often replace a file by renaming. */
  watch(file: string, debounceMs = 150): void {
    let timer: NodeJS.Timeout | undefined;
    const name = basename(file);
    this.#watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(() => void this.reload(file), debounceMs);
    });
  }

  close(): void {
    this.#watcher?.close();
    void this.#loader.close();
  }

  /**
   * Reloads must not stall requests in flight: the file is read, parsed and validated on a worker
   * thread, and the plan is compiled here in slices of a few milliseconds. Positions for compile issues
   * come from the worker, which keeps the parsed file. If the worker itself fails, the reload is done
   * on this thread instead — slower for traffic, but the new config still gets its answer.
   */
  async #loadAndCompileOffLoop(file: string): Promise<ReloadOutcome> {
    let loaded: Awaited<ReturnType<OffThreadLoader["load"]>>;
    try {
      loaded = await this.#loader.load(file);
    } catch {
      return loadAndCompile(file, this.pools, this.#events.shared);
    }
    if (!loaded.ok) return { ok: false, issues: loaded.errors };
    const compiled = await compilePlanSliced(loaded.config, this.pools, this.#events.shared);
    if (compiled.ok) return compiled;
    const positions = await this.#loader.locate(compiled.issues.map((i) => i.path)).catch(() => undefined);
    return {
      ok: false,
      issues: sortIssues(
        compiled.issues.map((issue, i) => ({
          file,
          ...(positions?.[i] ?? { line: 1, column: 1 }),
          path: issue.path,
          message: issue.message,
        })),
      ),
    };
  }
}

export async function loadAndCompile(
  file: string,
  pools: PoolRegistry,
  shared?: SharedState,
): Promise<ReloadOutcome> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) return { ok: false, issues: loaded.errors };
  return compileLoaded(
    loaded.config,
    pools,
    (pointer) => ({ file, ...locate(loaded.source, pointer) }),
    shared,
  );
}

export function compileLoaded(
  config: Config,
  pools: PoolRegistry,
  where: (pointer: string) => { file: string; line: number; column: number },
  shared?: SharedState,
): ReloadOutcome {
  const compiled = compilePlan(config, pools, shared);
  if (compiled.ok) return compiled;
  return {
    ok: false,
    // In file order, like the load stage's issues: upstreams are compiled before the trusted proxies.
    issues: sortIssues(compiled.issues.map((i) => ({ ...where(i.path), path: i.path, message: i.message }))),
  };
}
