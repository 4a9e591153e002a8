import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type AccessRecord, createAccessLogger, noopAccessLog } from "./access-log.ts";
import { createLogger, flushLogger } from "./logger.ts";
import { captureLog } from "./testing.ts";

function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    requestId: "req-7f3a",
    method: "GET",
    host: "api.example.com",
    path: "/v1/users/42",
    protocol: "HTTP/1.1",
    clientIp: "203.0.113.9",
    userAgent: 'curl/8.0 "quoted"',
    route: "users",
    upstream: "users-svc",
    target: "10.0.0.5:8080",
    status: 200,
    bytesIn: 17,
    bytesOut: 512,
    durationMs: 3.25,
    upstreamDurationMs: 2.5004,
    flag: "-",
    ...over,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON lines, checked field by field
type Line = Record<string, any>;

describe("createAccessLogger", () => {
  test("one ECS line per request with the documented field names", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(record());
    const lines = cap.lines() as Line[];
    assert.equal(lines.length, 1);
    const l = lines[0];
    assert.equal(l["log.level"], "info");
    assert.equal(l["service.name"], "portcullis");
    assert.ok(!Number.isNaN(Date.parse(l["@timestamp"])));
    assert.equal(l.message, "GET /v1/users/42 200");
    assert.equal(l.event.dataset, "portcullis.access");
    assert.equal(l.event.outcome, "success");
    assert.equal(l.event.duration, 3_250_000, "event.duration is in nanoseconds");
    assert.equal(l.http.version, "1.1");
    assert.equal(l.http.request.method, "GET");
    assert.equal(l.http.request.id, "req-7f3a");
    assert.equal(l.http.request.body.bytes, 17);
    assert.equal(l.http.response.status_code, 200);
    assert.equal(l.http.response.body.bytes, 512);
    assert.equal(l.url.domain, "api.example.com");
    assert.equal(l.url.path, "/v1/users/42");
    assert.equal(l.client.ip, "203.0.113.9");
    assert.equal(l.user_agent.original, 'curl/8.0 "quoted"');
    assert.equal(l.transaction.id, "req-7f3a");
    assert.deepEqual(l.portcullis, {
      flag: "-",
      route: "users",
      upstream: "users-svc",
      target: "10.0.0.5:8080",
      upstream_duration_ms: 2.5,
    });
  });

  test("a gateway error: failure outcome, flag and error code, optional fields omitted", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(
      record({
        status: 504,
        flag: "UT",
        errorCode: "UPSTREAM_TIMEOUT",
        userAgent: undefined,
        target: undefined,
        upstreamDurationMs: undefined,
        protocol: "HTTP/2.0",
      }),
    );
    const [l] = cap.lines() as Line[];
    assert.equal(l.event.outcome, "failure");
    assert.equal(l.http.version, "2.0");
    assert.equal(l.portcullis.flag, "UT");
    assert.equal(l.portcullis.error_code, "UPSTREAM_TIMEOUT");
    assert.equal("user_agent" in l, false);
    assert.equal("target" in l.portcullis, false);
    assert.equal("upstream_duration_ms" in l.portcullis, false);
  });

  test("unrouted request: no route/upstream keys, flag NR", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(record({ route: undefined, upstream: undefined, target: undefined, status: 404, flag: "NR" }));
    const [l] = cap.lines() as Line[];
    assert.deepEqual(Object.keys(l.portcullis).sort(), ["flag", "upstream_duration_ms"]);
    assert.equal(l.portcullis.flag, "NR");
  });

  test("query strings and fragments never reach the line, even if the caller passes them", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(record({ path: "/login?api_key=sk_live_SECRET&token=tok_SECRET" }));
    access(record({ path: "/cb#access_token=frag_SECRET" }));
    const out = cap.text();
    assert.ok(!out.includes("SECRET"), out);
    assert.ok(!out.includes("?"), out);
    const [a, b] = cap.lines() as Line[];
    assert.equal(a.url.path, "/login");
    assert.equal(a.message, "GET /login 200");
    assert.equal(b.url.path, "/cb");
  });

  test("hostile strings are escaped and the line stays valid JSON", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(record({ userAgent: 'x"}\n{"injected":true', requestId: "a\u0000b\\" }));
    const lines = cap.lines() as Line[];
    assert.equal(lines.length, 1);
    assert.equal(lines[0].user_agent.original, 'x"}\n{"injected":true');
    assert.equal(lines[0].injected, undefined);
    assert.equal(lines[0].http.request.id, "a\u0000b\\");
  });

  test("written regardless of the logger level, and carries the child's bindings", () => {
    const cap = captureLog();
    const log = createLogger({ level: "error", destination: cap.stream }).child({ listener: "public" });
    createAccessLogger(log, true)(record());
    const [l] = cap.lines() as Line[];
    assert.equal(l.listener, "public");
    assert.equal(l.http.response.status_code, 200);
  });

  test("pino format uses pino's envelope around the same fields", () => {
    const cap = captureLog();
    const log = createLogger({ level: "info", format: "pino", destination: cap.stream });
    createAccessLogger(log, true)(record());
    const [l] = cap.lines() as Line[];
    assert.equal(l.level, 30);
    assert.equal(typeof l.time, "number");
    assert.equal(l.msg, "GET /v1/users/42 200");
    assert.equal(l.url.path, "/v1/users/42");
  });

  test("non-finite numbers become 0 rather than breaking the JSON", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), true);
    access(record({ durationMs: Number.NaN, bytesOut: Number.POSITIVE_INFINITY }));
    const [l] = cap.lines() as Line[];
    assert.equal(l.event.duration, 0);
    assert.equal(l.http.response.body.bytes, 0);
  });

  test("disabled: the shared no-op, and nothing is written", () => {
    const cap = captureLog();
    const access = createAccessLogger(createLogger({ level: "info", destination: cap.stream }), false);
    assert.equal(access, noopAccessLog);
    access(record());
    assert.equal(cap.text(), "");
  });

  test("a buffered destination gets each turn's lines in one write, in order, none lost on flush", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-access-"));
    try {
      const file = join(dir, "access.log");
      const logger = createLogger({ level: "info", destination: file });
      const access = createAccessLogger(logger, true);
      for (let i = 0; i < 300; i++) access(record({ requestId: `r${i}` }));
      logger.info("after");
      await flushLogger(logger);
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Line);
      const ids = lines.filter((l) => l.http).map((l) => l.http.request.id);
      assert.deepEqual(
        ids,
        Array.from({ length: 300 }, (_, i) => `r${i}`),
      );
      assert.equal(lines.length, 301);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
