// In-process limiter state: exact, synchronous and bounded. Every key's state records when it becomes the
// same as no state at all (window empty, bucket full, quota period over): a lazy sweep drops such entries
// a batch at a time (no per-key timers), and a hard cap drops the least recently used key, so a flood of
// distinct client addresses costs at most `maxKeys` entries.
import type {
  Decision,
  LimiterStore,
  LimitSpec,
  QuotaDecision,
  SlidingWindowSpec,
  TokenBucketSpec,
} from "./types.ts";
import { checkQuota, checkSpec, checkUnits, QUOTA_GRACE_MS } from "./validate.ts";

export interface MemoryStoreOptions {
  /** Epoch milliseconds (default Date.now); injectable for tests. */
  readonly now?: () => number;
  /** Hard cap on keys (default 100 000); past it the least recently used key is dropped. */
  readonly maxKeys?: number;
  /** How often, on the store's clock, one sweep step runs (default 1000 ms). */
  readonly sweepIntervalMs?: number;
}

/** The admission log: times[i] admitted costs[i] units; entries before `head` have left the window. */
interface WindowState {
  readonly kind: "sliding-window";
  expiresAt: number;
  readonly times: number[];
  readonly costs: number[];
  head: number;
  used: number;
}

interface BucketState {
  readonly kind: "token-bucket";
  expiresAt: number;
  tokens: number;
  ts: number;
}

interface QuotaState {
  readonly kind: "quota";
  expiresAt: number;
  used: number;
}

type State = WindowState | BucketState | QuotaState;
type StateOf<K extends State["kind"]> = Extract<State, { kind: K }>;

export interface Grant {
  readonly granted: number;
  readonly decision: Decision;
}

/** Refill arithmetic is in floats: a bucket refilled to 2.9999999999 tokens holds 3. */
export const TOKEN_EPSILON = 1e-9;

/** Whole milliseconds, rounded up (a float a hair above an integer stays that integer). */
export function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - 1e-6));
}

export class MemoryStore implements LimiterStore {
  readonly name = "memory";
  /** Keys dropped by the cap while still live: a non-zero rate says the cap is too small. */
  evictions = 0;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private readonly states = new Map<string, State>();
  private last = Number.NEGATIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  private cursor: MapIterator<[string, State]> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError("maxKeys must be >= 1");
  }

  /** Keys currently held (live or not yet swept). */
  get size(): number {
    return this.states.size;
  }

  take(key: string, spec: LimitSpec, cost: number): Decision {
    checkSpec(spec);
    checkUnits(cost, "cost");
    return this.reserve(key, spec, cost, false).decision;
  }

  lease(key: string, spec: LimitSpec, want: number): Grant {
    checkSpec(spec);
    checkUnits(want, "want");
    return this.reserve(key, spec, want, true);
  }

  quota(key: string, limit: number, periodEndMs: number, cost: number): QuotaDecision {
    checkQuota(limit, periodEndMs, cost);
    const now = this.clock();
    const state = this.lookup(key, "quota", now);
    const used = state ? state.used : 0;
    const resetMs = ceilMs(periodEndMs - now);
    if (used + cost > limit) {
      return {
        allowed: false,
        remaining: Math.max(0, limit - used),
        resetMs,
        retryAfterMs: Math.max(1, resetMs),
        used,
      };
    }
    const total = used + cost;
    if (cost > 0) {
      const expiresAt = Math.max(periodEndMs, now + QUOTA_GRACE_MS);
      if (state) {
        state.used = total;
        state.expiresAt = expiresAt;
      } else {
        this.insert(key, { kind: "quota", expiresAt, used: total });
      }
    }
    return { allowed: true, remaining: limit - total, resetMs, retryAfterMs: 0, used: total };
  }

  close(): void {
    this.states.clear();
    this.cursor = undefined;
  }

  private reserve(key: string, spec: LimitSpec, want: number, lease: boolean): Grant {
    const now = this.clock();
    return spec.kind === "sliding-window"
      ? this.slide(key, spec, want, lease, now)
      : this.refill(key, spec, want, lease, now);
  }

  private slide(key: string, spec: SlidingWindowSpec, want: number, lease: boolean, now: number): Grant {
    const { limit, windowMs } = spec;
    let state = this.lookup(key, "sliding-window", now);
    if (state) prune(state, now - windowMs);
    const used = state ? state.used : 0;
    const available = Math.max(0, limit - used);
    const allowed = lease ? available > 0 : want <= available;
    const granted = lease ? Math.min(want, available) : allowed ? want : 0;
    if (granted > 0) {
      state ??= this.insert(key, {
        kind: "sliding-window",
        expiresAt: 0,
        times: [],
        costs: [],
        head: 0,
        used: 0,
      });
      admit(state, now, granted);
      state.expiresAt = now + windowMs;
    }
    const total = used + granted;
    let retryAfterMs = 0;
    if (!allowed) {
      // A cost above the limit never fits; a whole window is the honest-ish hint (config should forbid it).
      const need = lease ? 1 : want;
      retryAfterMs =
        need > limit || !state
          ? windowMs
          : Math.max(1, ceilMs(leavesAt(state, used + need - limit) + windowMs - now));
    }
    const newest = state && total > 0 ? state.times[state.times.length - 1] : undefined;
    const decision: Decision = {
      allowed,
      remaining: Math.max(0, limit - total),
      resetMs: newest === undefined ? 0 : ceilMs(newest + windowMs - now),
      retryAfterMs,
    };
    return { granted, decision };
  }

  private refill(key: string, spec: TokenBucketSpec, want: number, lease: boolean, now: number): Grant {
    const { capacity } = spec;
    const rate = spec.limit / spec.windowMs;
    const state = this.lookup(key, "token-bucket", now);
    const tokens = state ? Math.min(capacity, state.tokens + (now - state.ts) * rate) : capacity;
    const whole = Math.floor(tokens + TOKEN_EPSILON);
    const allowed = lease ? whole > 0 : want <= tokens + TOKEN_EPSILON;
    const granted = lease ? Math.min(want, whole) : allowed ? want : 0;
    let left = tokens;
    if (granted > 0) {
      // A refusal leaves the state as it was: refill is linear and capped, so computing it later from the
      // older (tokens, ts) gives the same result.
      left = Math.max(0, tokens - granted);
      const expiresAt = now + (capacity - left) / rate;
      if (state) {
        state.tokens = left;
        state.ts = now;
        state.expiresAt = expiresAt;
      } else {
        this.insert(key, { kind: "token-bucket", expiresAt, tokens: left, ts: now });
      }
    }
    let retryAfterMs = 0;
    if (!allowed) {
      const need = lease ? 1 : want;
      retryAfterMs = need > capacity ? spec.windowMs : Math.max(1, ceilMs((need - tokens) / rate));
    }
    const decision: Decision = {
      allowed,
      remaining: Math.floor(left + TOKEN_EPSILON),
      resetMs: ceilMs((capacity - left) / rate),
      retryAfterMs,
    };
    return { granted, decision };
  }

  /** Epoch ms that never goes back: an NTP step backwards must not reorder the admission logs. */
  private clock(): number {
    const t = this.now();
    if (t > this.last) this.last = t;
    this.sweep(this.last);
    return this.last;
  }

  /** The live state under `key`, now the most recently used; a stale or other-kind state is dropped. */
  private lookup<K extends State["kind"]>(key: string, kind: K, now: number): StateOf<K> | undefined {
    const state = this.states.get(key);
    if (state === undefined) return undefined;
    this.states.delete(key);
    if (state.kind !== kind || state.expiresAt <= now) return undefined;
    this.states.set(key, state);
    return state as StateOf<K>;
  }

  private insert<S extends State>(key: string, state: S): S {
    if (this.states.size >= this.maxKeys) {
      const oldest = this.states.entries().next();
      if (!oldest.done) {
        this.states.delete(oldest.value[0]);
        if (oldest.value[1].expiresAt > this.last) this.evictions++;
      }
    }
    this.states.set(key, state);
    return state;
  }

  /**
   * One step of the lazy sweep: visits a slice of the keys (an eighth, at least 1000) from where the last
   * step stopped and drops the stale ones, so a full pass takes about eight intervals whatever the size.
   */
  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepIntervalMs;
    const budget = Math.max(1000, Math.ceil(this.states.size / 8));
    this.cursor ??= this.states.entries();
    for (let i = 0; i < budget; i++) {
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      if (next.value[1].expiresAt <= now) this.states.delete(next.value[0]);
    }
  }
}

/** Drops the entries at or before `cutoff` (the window is (now - windowMs, now]). */
function prune(state: WindowState, cutoff: number): void {
  const { times, costs } = state;
  let head = state.head;
  while (head < times.length && times[head] <= cutoff) {
    state.used -= costs[head];
    head++;
  }
  if (head === times.length) {
    times.length = 0;
    costs.length = 0;
    head = 0;
  } else if (head >= 1024 && head * 2 >= times.length) {
    times.splice(0, head);
    costs.splice(0, head);
    head = 0;
  }
  state.head = head;
}

function admit(state: WindowState, now: number, units: number): void {
  const last = state.times.length - 1;
  // Admissions in the same millisecond share one entry: a burst costs one slot, not one per request.
  if (last >= state.head && state.times[last] === now) state.costs[last] += units;
  else {
    state.times.push(now);
    state.costs.push(units);
  }
  state.used += units;
}

/** When the oldest `units` admitted units will all have been admitted (they leave a window later). */
function leavesAt(state: WindowState, units: number): number {
  let freed = 0;
  for (let i = state.head; i < state.times.length; i++) {
    freed += state.costs[i];
    if (freed >= units) return state.times[i];
  }
  return state.times[state.times.length - 1];
}
