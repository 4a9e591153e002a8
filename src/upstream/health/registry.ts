// Target health that outlives config plans: keyed by upstream name and target id (host:port), so a reload
// that keeps a target keeps what is known about it. The integrator calls sync() after each successful
// reload and isUsable() on every pick.
import { ActiveHealthCheck, type ActiveStats, type ProbeTls } from "./active.ts";
import {
  type ActiveCheckOptions,
  type OutlierOptions,
  type ResolvedActiveCheck,
  resolveActive,
  resolveOutlier,
} from "./options.ts";
import { OutlierDetector, type OutlierStats, type ResultKind } from "./outlier.ts";

export interface HealthTargetSpec {
  /** host:port, the same string the cluster uses as the target's address. */
  readonly id: string;
  /** http(s)://host:port; needed when the upstream has an active check. */
  readonly origin?: string;
}

export interface HealthUpstreamSpec {
  readonly name: string;
  readonly targets: readonly HealthTargetSpec[];
  readonly activeCheck?: ActiveCheckOptions;
  readonly outlier?: OutlierOptions;
  /** How probes connect: same meaning as the upstream's own settings. */
  readonly http2?: boolean;
  readonly tls?: ProbeTls;
}

export interface HealthTransition {
  readonly upstream: string;
  readonly target: string;
  readonly check: "active" | "passive";
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
}

export interface TargetSnapshot {
  id: string;
  usable: boolean;
  active: (Omit<ActiveStats, "lastProbeAt"> & { lastProbeAt: string | null }) | null;
  passive: (Omit<OutlierStats, "ejectedUntil"> & { ejectedUntil: string | null }) | null;
}

export interface HealthSnapshot {
  upstreams: { name: string; targets: TargetSnapshot[] }[];
}

export interface HealthRegistryOptions {
  onTransition?: (t: HealthTransition) => void;
}

interface TargetEntry {
  readonly id: string;
  checker: ActiveHealthCheck | undefined;
  /** What the checker was built from; a different key on sync means a new checker. */
  checkerKey: string;
}

interface UpstreamEntry {
  readonly name: string;
  targets: Map<string, TargetEntry>;
  outlier: OutlierDetector | undefined;
}

export class HealthRegistry {
  readonly #upstreams = new Map<string, UpstreamEntry>();
  readonly #onTransition: ((t: HealthTransition) => void) | undefined;
  #closed = false;

  constructor(options: HealthRegistryOptions = {}) {
    this.#onTransition = options.onTransition;
  }

  /**
   * Brings the registry in line with the new plan's upstreams. State changes happen before this returns;
   * the promise only settles once the probes of removed targets have closed their connections. Throws
   * (changing nothing) when an option is invalid or an actively checked target has no origin.
   */
  sync(upstreams: readonly HealthUpstreamSpec[]): Promise<void> {
    if (this.#closed) throw new Error("health registry is closed");
    const plans = upstreams.map(prepare);
    const stopping: Promise<void>[] = [];
    const names = new Set<string>();
    for (const p of plans) {
      names.add(p.spec.name);
      let u = this.#upstreams.get(p.spec.name);
      if (u === undefined) {
        u = { name: p.spec.name, targets: new Map(), outlier: undefined };
        this.#upstreams.set(u.name, u);
      }
      this.#syncOutlier(u, p.spec);
      const next = new Map<string, TargetEntry>();
      for (const t of p.spec.targets) {
        if (next.has(t.id)) continue;
        const e = u.targets.get(t.id) ?? { id: t.id, checker: undefined, checkerKey: "" };
        const key = p.active === undefined ? "" : `${p.probeKey}|${t.origin}`;
        if (e.checkerKey !== key) {
          const previous = e.checker;
          if (previous !== undefined) stopping.push(previous.stop());
          e.checker =
            p.active === undefined ? undefined : this.#startChecker(u.name, t, p.spec, p.active, previous);
          e.checkerKey = key;
        }
        next.set(t.id, e);
      }
      for (const [id, e] of u.targets) if (!next.has(id) && e.checker) stopping.push(e.checker.stop());
      u.targets = next;
    }
    for (const [name, u] of this.#upstreams) {
      if (names.has(name)) continue;
      for (const e of u.targets.values()) if (e.checker) stopping.push(e.checker.stop());
      this.#upstreams.delete(name);
    }
    return Promise.all(stopping).then(() => {});
  }

  /** Runs on every pick: Map lookups and comparisons only. Unknown upstreams and targets are usable. */
  isUsable(upstream: string, targetId: string, now: number): boolean {
    const u = this.#upstreams.get(upstream);
    if (u === undefined) return true;
    const t = u.targets.get(targetId);
    if (t === undefined) return true;
    if (t.checker !== undefined && !t.checker.usable) return false;
    return u.outlier === undefined || !u.outlier.isEjected(targetId, now);
  }

  /** Feeds passive outlier detection with the outcome of a real request. */
  onResult(upstream: string, targetId: string, kind: ResultKind, now: number): void {
    this.#upstreams.get(upstream)?.outlier?.onResult(targetId, kind, now);
  }

  snapshot(now: number = Date.now()): HealthSnapshot {
    const upstreams: HealthSnapshot["upstreams"] = [];
    for (const u of this.#upstreams.values()) {
      const targets: TargetSnapshot[] = [];
      for (const t of u.targets.values()) {
        const a = t.checker?.stats();
        const p = u.outlier?.stats(t.id, now);
        targets.push({
          id: t.id,
          usable: this.isUsable(u.name, t.id, now),
          active: a
            ? { ...a, lastProbeAt: a.lastProbeAt ? new Date(a.lastProbeAt).toISOString() : null }
            : null,
          passive: p
            ? { ...p, ejectedUntil: p.ejectedUntil ? new Date(p.ejectedUntil).toISOString() : null }
            : null,
        });
      }
      upstreams.push({ name: u.name, targets });
    }
    return { upstreams };
  }

  /** Stops every probe and closes their connections; the registry cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const all: Promise<void>[] = [];
    for (const u of this.#upstreams.values())
      for (const e of u.targets.values()) if (e.checker) all.push(e.checker.stop());
    this.#upstreams.clear();
    await Promise.all(all);
  }

  #syncOutlier(u: UpstreamEntry, spec: HealthUpstreamSpec): void {
    if (spec.outlier === undefined) {
      u.outlier = undefined;
      return;
    }
    const ids = spec.targets.map((t) => t.id);
    if (u.outlier === undefined) {
      const name = u.name;
      u.outlier = new OutlierDetector(spec.outlier, ids, (target, from, to, reason) =>
        this.#onTransition?.({ upstream: name, target, check: "passive", from, to, reason, at: Date.now() }),
      );
    } else {
      u.outlier.configure(spec.outlier);
      u.outlier.setTargets(ids);
    }
  }

  #startChecker(
    upstream: string,
    t: HealthTargetSpec,
    spec: HealthUpstreamSpec,
    options: ResolvedActiveCheck,
    previous: ActiveHealthCheck | undefined,
  ): ActiveHealthCheck {
    const checker = new ActiveHealthCheck({
      target: { id: t.id, origin: t.origin!, http2: spec.http2, tls: spec.tls },
      options,
      resume: previous?.state,
      onTransition: (target, from, to, reason) =>
        this.#onTransition?.({ upstream, target, check: "active", from, to, reason, at: Date.now() }),
    });
    checker.start();
    return checker;
  }
}

interface Prepared {
  spec: HealthUpstreamSpec;
  active: ResolvedActiveCheck | undefined;
  probeKey: string;
}

/** Everything that can fail is checked here, before the registry changes. */
function prepare(spec: HealthUpstreamSpec): Prepared {
  const where = `upstream ${spec.name}`;
  try {
    if (spec.outlier !== undefined) resolveOutlier(spec.outlier);
    const active = spec.activeCheck === undefined ? undefined : resolveActive(spec.activeCheck);
    if (active !== undefined)
      for (const t of spec.targets) if (!t.origin) throw new Error(`target ${t.id} has no origin to probe`);
    const probeKey =
      active === undefined ? "" : JSON.stringify([active, spec.http2 === true, spec.tls ?? null]);
    return { spec, active, probeKey };
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
}
