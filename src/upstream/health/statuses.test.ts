import assert from "node:assert/strict";
import { test } from "node:test";
import { compileStatuses } from "./statuses.ts";

test("codes, classes and ranges match exactly what they say", () => {
  const m = compileStatuses([204, "3xx", "401-403", "418"]);
  const matched = [];
  for (let s = 0; s < 700; s++) if (m(s)) matched.push(s);
  const expected = [204, ...Array.from({ length: 100 }, (_, i) => 300 + i), 401, 402, 403, 418];
  assert.deepEqual(matched, expected);
});

test("class letters are case-insensitive", () => {
  assert.equal(compileStatuses(["2XX"])(299), true);
});

test("anything else is refused with the offending value", () => {
  for (const bad of [[], [99], [600], [200.5], ["2xy"], ["6xx"], ["299-200"], ["20"], ["200-"], ["abc"]]) {
    assert.throws(
      () => compileStatuses(bad as (number | string)[]),
      /expected statuses/,
      JSON.stringify(bad),
    );
  }
});
