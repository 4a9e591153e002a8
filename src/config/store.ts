// swap: the current plan is one field; a request reads it once and keeps its plan to the end. A retired
// plan's pools are released when its last request finishes. An invalid new config leaves the old plan
// serving and reports every issue.
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { PoolRegistry } from "../upstream/pools.ts";
import { compilePlan, releasePlan } from "./compile.ts";
import { type ConfigIssue, loadConfigFile, locate } from "./load.ts";
import type { RuntimePlan } from "./plan.ts";
import type { Config } from "./schema.ts";

export type ReloadOutcome = { ok: true; plan: RuntimePlan } | { ok: false; issues: ConfigIssue[] };

export interface StoreEvents {
  onReload?(outcome: ReloadOutcome, durationMs: number): void;
}

export class PlanStore {
  current: RuntimePlan;
  readonly pools: PoolRegistry;
  readonly #events: StoreEvents;
  #watcher: FSWatcher | undefined;
  #pending: Promise<ReloadOutcome> | undefined;
  #again = false;

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

  /** Loads, validates and compiles `file`; swaps only if all of it is good. Reloads never overlap. */
  reload(file: string): Promise<ReloadOutcome> {
    if (this.#pending) {
      this.#again = true;
      return this.#pending;
    }
    this.#pending = this.#reload(file).finally(() => {
      this.#pending = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload(file);
      }
    });
    return this.#pending;
  }

  async #reload(file: string): Promise<ReloadOutcome> {
    const started = performance.now();
    const outcome = await loadAndCompile(file, this.pools);
    if (outcome.ok) this.swap(outcome.plan);
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
  }
}

export async function loadAndCompile(file: string, pools: PoolRegistry): Promise<ReloadOutcome> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) return { ok: false, issues: loaded.errors };
  return compileLoaded(loaded.config, pools, (pointer) => ({ file, ...locate(loaded.source, pointer) }));
}

export function compileLoaded(
  config: Config,
  pools: PoolRegistry,
  where: (pointer: string) => { file: string; line: number; column: number },
): ReloadOutcome {
  const compiled = compilePlan(config, pools);
  if (compiled.ok) return compiled;
  return {
    ok: false,
    issues: compiled.issues.map((i) => ({ ...where(i.path), path: i.path, message: i.message })),
  };
}
