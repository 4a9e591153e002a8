import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { Metrics } from "./metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Just enough of the Prometheus text format to check names, labels and values. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const hit = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return hit?.value;
}

describe("Metrics", () => {
  test("recordRequest counts by route/method/code and fills both histograms", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.recordRequest("users", "GET", 200, 0.003, "users-svc", 0.002);
    m.recordRequest("users", "GET", 200, 0.2, "users-svc", 0.19);
    m.recordRequest("users", "POST", 201, 0.004, "users-svc", 0.003);
    m.recordRequest("-", "GET", 404, 0.0002, undefined, undefined);
    const { contentType, body } = await m.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parse(body);

    assert.equal(types.get("portcullis_requests_total"), "counter");
    assert.equal(types.get("portcullis_request_duration_seconds"), "histogram");
    assert.equal(types.get("portcullis_upstream_duration_seconds"), "histogram");
    assert.equal(
      value(samples, "portcullis_requests_total", { route: "users", method: "GET", code: "200" }),
      2,
    );
    assert.equal(
      value(samples, "portcullis_requests_total", { route: "users", method: "POST", code: "201" }),
      1,
    );
    assert.equal(value(samples, "portcullis_requests_total", { route: "-", method: "GET", code: "404" }), 1);

    const d = "portcullis_request_duration_seconds";
    assert.equal(value(samples, `${d}_count`, { route: "users" }), 3);
    assert.ok(Math.abs((value(samples, `${d}_sum`, { route: "users" }) ?? 0) - 0.207) < 1e-9);
    assert.equal(value(samples, `${d}_bucket`, { route: "users", le: "0.0025" }), 0);
    assert.equal(value(samples, `${d}_bucket`, { route: "users", le: "0.005" }), 2, "buckets are cumulative");
    assert.equal(value(samples, `${d}_bucket`, { route: "users", le: "0.25" }), 3);
    assert.equal(value(samples, `${d}_bucket`, { route: "users", le: "+Inf" }), 3);
    assert.equal(value(samples, `${d}_bucket`, { route: "-", le: "0.0005" }), 1);
    const buckets = samples.filter((s) => s.name === `${d}_bucket` && s.labels.route === "users");
    assert.equal(buckets.length, 15, "14 bounds from 0.5 ms to 10 s, plus +Inf");
    assert.equal(buckets[0].labels.le, "0.0005");
    assert.equal(buckets[13].labels.le, "10");

    const u = "portcullis_upstream_duration_seconds";
    assert.equal(value(samples, `${u}_count`, { upstream: "users-svc" }), 3);
    assert.equal(value(samples, `${u}_bucket`, { upstream: "users-svc", le: "0.0025" }), 1);
    assert.equal(
      samples.some((s) => s.name.startsWith(u) && s.labels.upstream === undefined),
      false,
      "an unrouted request has no upstream series",
    );
  });

  test("unknown methods collapse to OTHER so clients cannot add series", async () => {
    const m = new Metrics({ defaultMetrics: false });
    for (let i = 0; i < 50; i++) m.recordRequest("r", `X-${i}`, 405, 0.001, undefined, undefined);
    const { samples } = parse((await m.render()).body);
    const rows = samples.filter((s) => s.name === "portcullis_requests_total");
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].labels, { route: "r", method: "OTHER", code: "405" });
    assert.equal(rows[0].value, 50);
  });

  test("connections, upstream errors and reloads", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.connectionOpened("public");
    m.connectionOpened("public");
    m.connectionOpened("internal");
    m.connectionClosed("public");
    m.recordUpstreamError("users-svc", "UF");
    m.recordUpstreamError("users-svc", "UF");
    m.recordUpstreamError("users-svc", "UT");
    const before = Date.now() / 1000;
    m.recordReload(true);
    m.recordReload(false);
    m.recordReload(false);
    const { samples, types } = parse((await m.render()).body);
    assert.equal(types.get("portcullis_open_connections"), "gauge");
    assert.equal(value(samples, "portcullis_open_connections", { listener: "public" }), 1);
    assert.equal(value(samples, "portcullis_open_connections", { listener: "internal" }), 1);
    assert.equal(
      value(samples, "portcullis_upstream_errors_total", { upstream: "users-svc", flag: "UF" }),
      2,
    );
    assert.equal(
      value(samples, "portcullis_upstream_errors_total", { upstream: "users-svc", flag: "UT" }),
      1,
    );
    assert.equal(value(samples, "portcullis_config_reloads_total", { result: "success" }), 1);
    assert.equal(value(samples, "portcullis_config_reloads_total", { result: "failure" }), 2);
    const ts = value(samples, "portcullis_config_last_reload_success_timestamp_seconds", {}) ?? 0;
    assert.ok(ts >= before && ts <= Date.now() / 1000 + 1, `timestamp ${ts}`);
  });

  test("label values with quotes, backslashes and newlines are escaped", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.recordRequest('we"ird\\route\nx', "GET", 200, 0.01, undefined, undefined);
    const { body } = await m.render();
    assert.ok(body.includes('route="we\\"ird\\\\route\\nx"'), body);
  });

  test("NaN and negative durations are dropped instead of poisoning the sum", async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.recordRequest("r", "GET", 200, Number.NaN, "u", -1);
    m.recordRequest("r", "GET", 200, 0.5, "u", 0.1);
    const { samples } = parse((await m.render()).body);
    assert.equal(value(samples, "portcullis_request_duration_seconds_sum", { route: "r" }), 0.5);
    assert.equal(value(samples, "portcullis_request_duration_seconds_count", { route: "r" }), 1);
    assert.equal(value(samples, "portcullis_requests_total", { route: "r" }), 2, "still counted");
  });

  test("own registry: two instances do not share series, default metrics are on by default", async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.recordRequest("only-a", "GET", 200, 0.01, undefined, undefined);
    const bodyA = (await a.render()).body;
    const bodyB = (await b.render()).body;
    assert.ok(bodyA.includes('route="only-a"'));
    assert.ok(!bodyB.includes('route="only-a"'));
    assert.match(bodyB, /^process_cpu_user_seconds_total /m);
    assert.match(bodyB, /^nodejs_eventloop_lag_seconds /m);
  });

  test("promtool accepts the exposition", async () => {
    const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
    assert.equal(probe.error, undefined, "promtool is missing: run scripts/test-deps.sh (npm test does)");
    const m = new Metrics({ defaultMetrics: false });
    m.recordRequest("users", "GET", 200, 0.003, "users-svc", 0.002);
    m.connectionOpened("public");
    m.recordUpstreamError("users-svc", "UF");
    m.recordReload(true);
    const r = spawnSync("promtool", ["check", "metrics"], {
      input: (await m.render()).body,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
