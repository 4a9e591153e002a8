// Calendar periods for quotas: the period a moment falls in, and when it ends, in a given time zone
// (midnight and the first of the month are local; DST days are 23 or 25 hours long).

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Local {
  y: number;
  m: number;
  d: number;
  h: number;
  min: number;
  s: number;
}

function local(ms: number, tz: string): Local {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(ms)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { y: parts.year, m: parts.month, d: parts.day, h: parts.hour, min: parts.minute, s: parts.second };
}

/**
 * The first UTC instant whose local date in `tz` is y-m-d: local midnight, or later where DST skips
 * midnight (America/Santiago, Asia/Beirut...).
 */
function startOfDay(y: number, m: number, d: number, tz: string): number {
  const target = Date.UTC(y, m - 1, d);
  const dateOf = (t: number) => {
    const l = local(t, tz);
    return Date.UTC(l.y, l.m - 1, l.d);
  };
  // Two offset corrections land within an hour or two of the boundary for every real zone...
  let t = target;
  for (let i = 0; i < 2; i++) {
    const l = local(t, tz);
    t += target - Date.UTC(l.y, l.m - 1, l.d, l.h, l.min, l.s);
  }
  // ...then walk to the exact first minute of the day (offsets are whole minutes).
  const MIN = 60_000;
  for (let i = 0; i < 240 && dateOf(t) < target; i++) t += MIN;
  for (let i = 0; i < 240 && dateOf(t - MIN) >= target; i++) t -= MIN;
  return t;
}

export interface Period {
  /** Names the period in keys: "2026-11-25" or "2026-11". */
  readonly id: string;
  readonly endMs: number;
}

const recent = new Map<string, { readonly period: Period; readonly fromMs: number }>();

/** The period `nowMs` falls in; remembered until it ends, so a request costs a map lookup. */
export function periodOf(nowMs: number, period: "day" | "month", tz: string): Period {
  const memo = `${period}|${tz}`;
  const hit = recent.get(memo);
  if (hit !== undefined && hit.fromMs <= nowMs && nowMs < hit.period.endMs) return hit.period;
  const p = computePeriod(nowMs, period, tz);
  recent.set(memo, { period: p, fromMs: nowMs });
  return p;
}

function computePeriod(nowMs: number, period: "day" | "month", tz: string): Period {
  const l = local(nowMs, tz);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (period === "day") {
    const next = new Date(Date.UTC(l.y, l.m - 1, l.d + 1));
    return {
      id: `${l.y}-${pad(l.m)}-${pad(l.d)}`,
      endMs: startOfDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz),
    };
  }
  const nextMonth = l.m === 12 ? { y: l.y + 1, m: 1 } : { y: l.y, m: l.m + 1 };
  return { id: `${l.y}-${pad(l.m)}`, endMs: startOfDay(nextMonth.y, nextMonth.m, 1, tz) };
}
