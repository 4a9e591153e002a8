import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseWrk } from "./wrk.ts";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");

test("reads rate, count and percentiles from a clean wrk run", () => {
  const r = parseWrk(fixture("wrk-ok.txt"));
  assert.equal(r.requests, 143275);
  assert.equal(r.reqPerSec, 71562.5);
  assert.equal(r.p50Ms, 0.511);
  assert.equal(r.p90Ms, 0.583);
  assert.equal(r.p99Ms, 0.688);
  assert.equal(r.errors, 0);
  assert.equal(r.non2xx, 0);
});

test("converts seconds (padded with a trailing space by wrk) and counts every kind of error", () => {
  const r = parseWrk(fixture("wrk-errors.txt"));
  assert.equal(r.p50Ms, 1500);
  assert.equal(r.p99Ms, 1990);
  assert.equal(r.errors, 45);
  assert.equal(r.non2xx, 7);
  assert.equal(r.reqPerSec, 30.9);
});

test("refuses output without a latency distribution rather than inventing figures", () => {
  const withoutLatency = fixture("wrk-ok.txt").replace(/Latency Distribution[\s\S]*?(?=\s+\d+ requests)/, "");
  assert.throws(() => parseWrk(withoutLatency), /no 50%/);
});
