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

/** The UTC instant of a local wall-clock time in `tz` (the first one, if DST makes it ambiguous). */
function instant(y: number, m: number, d: number, tz: string): number {
  const guess = Date.UTC(y, m - 1, d);
  // Two corrections converge for every real zone (offsets change by at most a few hours).
  let t = guess;
  for (let i = 0; i < 2; i++) {
    const l = local(t, tz);
    const asUtc = Date.UTC(l.y, l.m - 1, l.d, l.h, l.min, l.s);
    t += guess - asUtc;
  }
  return t;
}

export interface Period {
  /** Names the period in keys: "2026-11-25" or "2026-11". */
  readonly id: string;
  readonly endMs: number;
}

export function periodOf(nowMs: number, period: "day" | "month", tz: string): Period {
  const l = local(nowMs, tz);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (period === "day") {
    const next = new Date(Date.UTC(l.y, l.m - 1, l.d + 1));
    return {
      id: `${l.y}-${pad(l.m)}-${pad(l.d)}`,
      endMs: instant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz),
    };
  }
  const nextMonth = l.m === 12 ? { y: l.y + 1, m: 1 } : { y: l.y, m: l.m + 1 };
  return { id: `${l.y}-${pad(l.m)}`, endMs: instant(nextMonth.y, nextMonth.m, 1, tz) };
}
