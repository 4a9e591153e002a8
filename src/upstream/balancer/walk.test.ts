import assert from "node:assert/strict";
import { test } from "node:test";
import { SeenSet } from "./walk.ts";

test("SeenSet forgets on clear", () => {
  const seen = new SeenSet(4);
  seen.clear();
  seen.add(2);
  assert.ok(seen.has(2) && !seen.has(1));
  seen.clear();
  assert.ok(!seen.has(2));
});

test("SeenSet: when the epoch wraps, stamps from long ago do not read as seen", () => {
  const seen = new SeenSet(4, 100);
  seen.clear();
  seen.add(3);
  for (let i = 0; i < 99; i++) seen.clear();
  assert.ok(!seen.has(3));
  seen.add(1);
  assert.ok(seen.has(1) && !seen.has(3));
});
