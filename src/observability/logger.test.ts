import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createLogger, flushLogger, REDACT_CENSOR, redactLine } from "./logger.ts";
import { captureLog } from "./testing.ts";

const SECRETS = {
  authorization: "Bearer eyJhbGciOi.secret-jwt",
  "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
  cookie: "session=cookie-secret-123",
  "set-cookie": ["sid=set-cookie-secret; HttpOnly"],
  "x-api-key": "api-key-secret-456",
  "x-auth-token": "auth-token-secret-789",
};
const SECRET_VALUES = [
  "secret-jwt",
  "cHJveHk6c2VjcmV0",
  "cookie-secret-123",
  "set-cookie-secret",
  "api-key-secret-456",
  "auth-token-secret-789",
];

describe("createLogger", () => {
  test("ECS records carry @timestamp, log.level, message, ecs.version and service.name", () => {
    const cap = captureLog();
    const log = createLogger({ level: "info", destination: cap.stream });
    log.info({ component: "test" }, "hello");
    const [line] = cap.lines();
    assert.equal(line["log.level"], "info");
    assert.equal(line.message, "hello");
    assert.equal(line["service.name"], "portcullis");
    assert.equal(typeof line["ecs.version"], "string");
    assert.ok(!Number.isNaN(Date.parse(String(line["@timestamp"]))));
    assert.equal(line["process.pid"], process.pid);
    assert.equal(line.component, "test");
  });

  test("pino format keeps pino's level/time/msg", () => {
    const cap = captureLog();
    const log = createLogger({ level: "info", format: "pino", destination: cap.stream });
    log.info("plain");
    const [line] = cap.lines();
    assert.equal(line.level, 30);
    assert.equal(line.msg, "plain");
    assert.equal(typeof line.time, "number");
    assert.equal(line.name, "portcullis");
  });

  test("levels below the configured one are not written", () => {
    const cap = captureLog();
    const log = createLogger({ level: "warn", destination: cap.stream });
    log.info("dropped");
    log.warn("kept");
    assert.deepEqual(
      cap.lines().map((l) => l.message),
      ["kept"],
    );
  });

  for (const format of ["ecs", "pino"] as const) {
    test(`${format}: credentials in headers bags are redacted at any depth`, () => {
      const cap = captureLog();
      const log = createLogger({ level: "debug", format, destination: cap.stream });
      log.info({ headers: { ...SECRETS, accept: "text/html" } }, "top");
      log.info({ req: { method: "GET", headers: { ...SECRETS } } }, "nested");
      log.info({ a: { b: { c: { upstream: { res: { headers: { ...SECRETS } } } } } } }, "deep");
      log
        .child({ component: "proxy" })
        .warn({ req: { headers: { Authorization: "Bearer secret-jwt" } } }, "child");
      const out = cap.text();
      for (const v of SECRET_VALUES) assert.ok(!out.includes(v), `${v} leaked into ${out}`);
      const lines = cap.lines();
      assert.equal(lines.length, 4);
      const top = lines[0].headers as Record<string, unknown>;
      assert.equal(top.authorization, REDACT_CENSOR);
      assert.equal(top.cookie, REDACT_CENSOR);
      assert.equal(top["x-api-key"], REDACT_CENSOR);
      assert.equal(top["set-cookie"], REDACT_CENSOR, "an array of cookies is censored whole");
      assert.equal(top.accept, "text/html", "non-secret headers survive");
      const nested = (lines[1].req as { headers: Record<string, unknown>; method: string }).headers;
      assert.equal(nested["proxy-authorization"], REDACT_CENSOR);
      assert.equal((lines[1].req as { method: string }).method, "GET");
      assert.equal(lines[3].component, "proxy");
    });
  }

  test("credential fields outside headers: passwords, client secrets, parsed cookie objects", () => {
    const cap = captureLog();
    const log = createLogger({ level: "info", destination: cap.stream });
    log.info({
      redis: { host: "cache", password: "pw-secret" },
      oauth: { client_id: "gw", client_secret: "cs-secret" },
      token: { access_token: "at-secret", refresh_token: "rt-secret", expires_in: 300 },
      parsed: { cookie: { sid: "sid-secret", theme: "dark" } },
      note: "the word cookie in a value is fine",
    });
    const out = cap.text();
    for (const v of ["pw-secret", "cs-secret", "at-secret", "rt-secret", "sid-secret"])
      assert.ok(!out.includes(v), out);
    const [line] = cap.lines() as Array<Record<string, Record<string, unknown>>>;
    assert.equal(line.redis.host, "cache");
    assert.equal(line.oauth.client_id, "gw");
    assert.equal(line.token.expires_in, 300);
    assert.equal(line.note as unknown, "the word cookie in a value is fine");
  });

  test("redactLine keeps the line valid JSON with escaped quotes and backslashes in the secret", () => {
    const line = JSON.stringify({ headers: { authorization: 'Bearer a"b\\', "x-request-id": "r1" } });
    const out = JSON.parse(redactLine(line));
    assert.deepEqual(out, { headers: { authorization: REDACT_CENSOR, "x-request-id": "r1" } });
  });

  test("the caller's object is not mutated by redaction", () => {
    const cap = captureLog();
    const log = createLogger({ level: "info", destination: cap.stream });
    const headers = { authorization: "Bearer keep-me" };
    log.info({ headers });
    assert.equal(headers.authorization, "Bearer keep-me");
  });

  test("buffered file destination holds lines until flushLogger, then writes them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-log-"));
    try {
      const file = join(dir, "gw.log");
      const log = createLogger({ level: "info", destination: file });
      log.info("one");
      log.info("two");
      const before = existsSync(file) ? readFileSync(file, "utf8") : "";
      assert.equal(before, "", "short lines stay in the buffer");
      await flushLogger(log);
      const lines = readFileSync(file, "utf8").trim().split("\n");
      assert.deepEqual(
        lines.map((l) => JSON.parse(l).message),
        ["one", "two"],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("flushLogger resolves on destinations that cannot fsync (pipes, /dev/null)", async () => {
    const log = createLogger({ level: "info", destination: "/dev/null" });
    log.info("gone");
    await flushLogger(log);
  });

  test("sync file destination writes each line immediately", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-log-"));
    try {
      const file = join(dir, "gw.log");
      const log = createLogger({ level: "info", destination: file, sync: true });
      log.info("now");
      assert.equal(JSON.parse(readFileSync(file, "utf8")).message, "now");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
