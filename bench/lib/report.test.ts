import assert from "node:assert/strict";
import { test } from "node:test";
import { markdown, type RunResult, summarize, throughputTable } from "./report.ts";
import { median, percentile } from "./stats.ts";

const run = (round: number, target: string, reqPerSec: number): RunResult => ({
  round,
  target,
  wrk: { requests: reqPerSec * 10, reqPerSec, p50Ms: 1, p90Ms: 2, p99Ms: 3, errors: 0, non2xx: 0 },
  cpuUsPerReq: 1e6 / reqPerSec,
  cpuBusy: 1,
  rssBytes: 100 * 1_048_576,
  machine: { otherOnProxyCpu: 0, otherOnLoadCpu: 0, loadCpuBusy: 1, steal: 0 },
});

test("ratios are taken inside each round, then their median is reported", () => {
  // The machine halves its speed in round 2: per-round ratios stay 0.5, a ratio of medians would not.
  const runs = [
    run(1, "nginx", 60_000),
    run(1, "bare", 20_000),
    run(1, "gw", 10_000),
    run(2, "nginx", 30_000),
    run(2, "bare", 10_000),
    run(2, "gw", 5_000),
    run(3, "nginx", 50_000),
    run(3, "bare", 25_000),
    run(3, "gw", 12_500),
  ];
  const [nginx, , gw] = summarize(runs, ["nginx", "bare", "gw"], "nginx", "bare");
  assert.deepEqual(nginx.ratioToNginx, { median: 1, min: 1, max: 1 });
  assert.deepEqual(gw.ratioToBare, { median: 0.5, min: 0.5, max: 0.5 });
  assert.equal(gw.reqPerSec.median, 10_000);
  assert.equal(gw.reqPerSec.min, 5_000);
  assert.ok(Math.abs(gw.ratioToNginx!.median - 1 / 6) < 1e-9);
  assert.ok(Math.abs(gw.ratioToNginx!.max - 0.25) < 1e-9);
});

test("a target measured in no round gets no row, and a missing reference gives no ratio", () => {
  const summaries = summarize([run(1, "gw", 1000)], ["nginx", "gw"], "nginx", "bare");
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0].ratioToNginx, undefined);
  assert.match(markdown(throughputTable(summaries)), /\| gw \| 1,000 \| — \| — \|/);
});

test("median and nearest-rank percentile", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 500);
  assert.equal(percentile(sorted, 0.99), 990);
  assert.equal(percentile(sorted, 0.999), 999);
  assert.equal(percentile(sorted, 1), 1000);
});
