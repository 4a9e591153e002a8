import assert from "node:assert/strict";
import { test } from "node:test";
import { isTimeZone, periodOf } from "./calendar.ts";

test("days end at local midnight, months on the 1st, in the configured zone", () => {
  const t = Date.UTC(2026, 10, 25, 22, 30); // 22:30 UTC = 23:30 in Paris (UTC+1)
  assert.deepEqual(periodOf(t, "day", "UTC"), { id: "2026-11-25", endMs: Date.UTC(2026, 10, 26) });
  assert.deepEqual(periodOf(t, "day", "Europe/Paris"), {
    id: "2026-11-25",
    endMs: Date.UTC(2026, 10, 25, 23),
  });
  assert.deepEqual(periodOf(t, "day", "Asia/Tokyo"), { id: "2026-11-26", endMs: Date.UTC(2026, 10, 26, 15) });
  assert.deepEqual(periodOf(t, "month", "UTC"), { id: "2026-11", endMs: Date.UTC(2026, 11, 1) });
  assert.deepEqual(periodOf(Date.UTC(2026, 11, 31, 12), "month", "UTC"), {
    id: "2026-12",
    endMs: Date.UTC(2027, 0, 1),
  });
});

test("a DST change day is 23 or 25 hours long", () => {
  const spring = periodOf(Date.UTC(2026, 2, 29, 0, 30), "day", "Europe/Paris"); // 29 March 2026, clocks go forward
  assert.equal(spring.id, "2026-03-29");
  assert.equal(spring.endMs, Date.UTC(2026, 2, 29, 22)); // midnight CEST = 22:00 UTC
  const fall = periodOf(Date.UTC(2026, 9, 25, 12), "day", "Europe/Paris"); // 25 October 2026, back
  assert.equal(fall.endMs, Date.UTC(2026, 9, 25, 23));
});

test("where DST skips midnight, the day ends at the first instant of the next (01:00 local)", () => {
  // America/Santiago, 8 September 2024: clocks jump from 24:00 to 01:00 (UTC-4 → UTC-3).
  const p = periodOf(Date.UTC(2024, 8, 8, 3, 30), "day", "America/Santiago"); // 23:30 local on the 7th
  assert.equal(p.id, "2024-09-07");
  assert.equal(p.endMs, Date.UTC(2024, 8, 8, 4)); // 01:00 local (UTC-3)
  assert.equal(periodOf(p.endMs, "day", "America/Santiago").id, "2024-09-08");
  assert.equal(periodOf(p.endMs - 1, "day", "America/Santiago").id, "2024-09-07");
});

test("time zone names are checked", () => {
  assert.equal(isTimeZone("Europe/Paris"), true);
  assert.equal(isTimeZone("Mars/Olympus"), false);
});
