// Passive outlier detection for one upstream: real responses decide. A target failing too often in a row
// is ejected for a while that grows with each repeat ejection; ejections end lazily when someone asks,
// so there is no timer per target and nothing to clean up.
import { type OutlierOptions, type ResolvedOutlier, resolveOutlier } from "./options.ts";

export type ResultKind = "ok" | "5xx" | "connect-failure" | "timeout";
export type OutlierState = "serving" | "ejected";
export type OutlierTransition = (
  targetId: string,
  from: OutlierState,
  to: OutlierState,
  reason: string,
) => void;

interface TargetState {
  streak5xx: number;
  streakGateway: number;
  /** Epoch ms the current ejection ends; 0 while serving. */
  ejectedUntil: number;
  /** Multiplier of the next ejection's length; decays while the target behaves. */
  multiplier: number;
  /** When the last ejection ended (or will end). */
  lastEjectionEnd: number;
  ejections: number;
  skippedEjections: number;
}

export interface OutlierStats {
  ejected: boolean;
  /** Epoch ms, 0 while serving. */
  ejectedUntil: number;
  ejections: number;
  /** Ejections the max-ejected cap prevented. */
  skippedEjections: number;
  consecutive5xx: number;
  consecutiveGatewayFailures: number;
}

export class OutlierDetector {
  #o: ResolvedOutlier;
  readonly #targets = new Map<string, TargetState>();
  readonly #onTransition: OutlierTransition | undefined;

  constructor(
    options: OutlierOptions | ResolvedOutlier,
    targetIds: Iterable<string>,
    onTransition?: OutlierTransition,
  ) {
    this.#o = resolveOutlier(options);
    this.#onTransition = onTransition;
    this.setTargets(targetIds);
  }

  get options(): ResolvedOutlier {
    return this.#o;
  }

  /** New thresholds on reload; ejections in progress keep their end time. */
  configure(options: OutlierOptions | ResolvedOutlier): void {
    this.#o = resolveOutlier(options);
  }

  /** Keeps the state of targets still present, adds new ones serving, forgets removed ones. */
  setTargets(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.#targets.keys()) if (!keep.has(id)) this.#targets.delete(id);
    for (const id of keep) if (!this.#targets.has(id)) this.#targets.set(id, fresh());
  }

  onResult(targetId: string, kind: ResultKind, now: number): void {
    const s = this.#targets.get(targetId);
    if (s === undefined) return;
    if (s.ejectedUntil !== 0) {
      // Answers to requests sent before the ejection say nothing new about the target.
      if (now < s.ejectedUntil) return;
      this.#restore(targetId, s);
    }
    if (kind === "ok") {
      s.streak5xx = 0;
      s.streakGateway = 0;
      return;
    }
    s.streak5xx++;
    if (kind === "5xx") s.streakGateway = 0;
    else s.streakGateway++;
    const o = this.#o;
    let why: string | undefined;
    if (o.consecutiveGatewayFailures > 0 && s.streakGateway >= o.consecutiveGatewayFailures)
      why = `${s.streakGateway} consecutive gateway failures (last: ${kind})`;
    else if (o.consecutive5xx > 0 && s.streak5xx >= o.consecutive5xx)
      why = `${s.streak5xx} consecutive failures (last: ${kind})`;
    if (why !== undefined) this.#eject(targetId, s, now, why);
  }

  /** O(1): a Map lookup and a comparison; the end of an ejection is noticed (and reported) here. */
  isEjected(targetId: string, now: number): boolean {
    const s = this.#targets.get(targetId);
    if (s === undefined || s.ejectedUntil === 0) return false;
    if (now < s.ejectedUntil) return true;
    this.#restore(targetId, s);
    return false;
  }

  /** How many targets may be ejected at once: never all of them (see docs/upstream/health.md). */
  maxEjected(): number {
    const n = this.#targets.size;
    if (n < 2) return 0;
    return Math.min(n - 1, Math.max(1, Math.floor((n * this.#o.maxEjectedPercent) / 100)));
  }

  stats(targetId: string, now: number): OutlierStats | undefined {
    const s = this.#targets.get(targetId);
    if (s === undefined) return undefined;
    const ejected = this.isEjected(targetId, now);
    return {
      ejected,
      ejectedUntil: ejected ? s.ejectedUntil : 0,
      ejections: s.ejections,
      skippedEjections: s.skippedEjections,
      consecutive5xx: s.streak5xx,
      consecutiveGatewayFailures: s.streakGateway,
    };
  }

  #restore(targetId: string, s: TargetState): void {
    s.ejectedUntil = 0;
    this.#onTransition?.(targetId, "ejected", "serving", "ejection time over");
  }

  #eject(targetId: string, s: TargetState, now: number, why: string): void {
    let ejected = 0;
    for (const t of this.#targets.values()) if (t.ejectedUntil > now) ejected++;
    if (ejected >= this.maxEjected()) {
      // The streak stays, so the next failure tries again once another target is back.
      s.skippedEjections++;
      return;
    }
    const o = this.#o;
    // Forget one past ejection per maxEjectionMs of good behaviour since the last one ended.
    if (s.multiplier > 0 && now > s.lastEjectionEnd)
      s.multiplier = Math.max(0, s.multiplier - Math.floor((now - s.lastEjectionEnd) / o.maxEjectionMs));
    s.multiplier++;
    s.ejections++;
    const duration = Math.min(o.baseEjectionMs * s.multiplier, o.maxEjectionMs);
    s.ejectedUntil = now + duration;
    s.lastEjectionEnd = s.ejectedUntil;
    s.streak5xx = 0;
    s.streakGateway = 0;
    this.#onTransition?.(targetId, "serving", "ejected", `${why}; ejected for ${duration} ms`);
  }
}

function fresh(): TargetState {
  return {
    streak5xx: 0,
    streakGateway: 0,
    ejectedUntil: 0,
    multiplier: 0,
    lastEjectionEnd: 0,
    ejections: 0,
    skippedEjections: 0,
  };
}
