import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { createLogger } from "../observability/logger.ts";
import { Metrics } from "../observability/metrics.ts";
import { captureLog } from "../observability/testing.ts";
import { type AdminServer, isLoopback, startAdminServer } from "./server.ts";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function problem(r: Reply): Record<string, unknown> {
  assert.equal(r.headers["content-type"], "application/problem+json");
  const p = JSON.parse(r.body) as Record<string, unknown>;
  assert.equal(p.status, r.status);
  for (const k of ["type", "title", "detail", "code"]) assert.equal(typeof p[k], "string", `problem.${k}`);
  return p;
}

describe("admin server", () => {
  let ready = false;
  let admin: AdminServer;
  const metrics = new Metrics({ defaultMetrics: false });

  before(async () => {
    admin = await startAdminServer({
      address: "127.0.0.1",
      port: 0,
      metrics,
      isReady: () => ready,
      extra: [
        {
          method: "GET",
          path: "/upstreams",
          handler: (_req, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end('[{"name":"users-svc"}]');
          },
        },
        {
          method: "POST",
          path: "/boom",
          handler: async () => {
            throw new Error("handler fault");
          },
        },
      ],
    });
  });
  after(() => admin.close());

  test("listens on a real port", () => {
    assert.ok(admin.port > 0);
  });

  test("GET /healthz is 200 while the process is alive", async () => {
    const r = await request(admin.port, "GET", "/healthz");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: "ok" });
  });

  test("GET /readyz follows isReady()", async () => {
    ready = false;
    const notReady = await request(admin.port, "GET", "/readyz");
    assert.equal(notReady.status, 503);
    assert.equal(problem(notReady).code, "NOT_READY");
    ready = true;
    const ok = await request(admin.port, "GET", "/readyz");
    assert.equal(ok.status, 200);
    ready = false;
    assert.equal((await request(admin.port, "GET", "/readyz?verbose=1")).status, 503, "query string ignored");
  });

  test("GET /metrics serves the registry in Prometheus text", async () => {
    metrics.recordRequest("users", "GET", 200, 0.01, "users-svc", 0.008);
    const r = await request(admin.port, "GET", "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], metrics.registry.contentType);
    assert.match(r.body, /^portcullis_requests_total\{route="users",method="GET",code="200"\} 1$/m);
  });

  test("HEAD answers like GET without a body", async () => {
    const r = await request(admin.port, "HEAD", "/healthz");
    assert.equal(r.status, 200);
    assert.equal(r.body, "");
  });

  test("unknown path is a 404 problem", async () => {
    const r = await request(admin.port, "GET", "/nope");
    assert.equal(r.status, 404);
    const p = problem(r);
    assert.equal(p.code, "NOT_FOUND");
    assert.equal(p.title, "Not Found");
  });

  test("wrong method is a 405 problem with Allow", async () => {
    const r = await request(admin.port, "POST", "/metrics");
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, "GET, HEAD");
    assert.equal(problem(r).code, "METHOD_NOT_ALLOWED");
  });

  test("extra routes are served; a throwing handler becomes a 500 problem", async () => {
    const ok = await request(admin.port, "GET", "/upstreams");
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), [{ name: "users-svc" }]);
    const boom = await request(admin.port, "POST", "/boom");
    assert.equal(boom.status, 500);
    assert.equal(problem(boom).code, "INTERNAL");
  });
});

describe("admin server address policy", () => {
  test("isLoopback", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
      assert.equal(isLoopback(a), true, a);
    }
    for (const a of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "example.com", "::ffff:10.0.0.1"]) {
      assert.equal(isLoopback(a), false, a);
    }
  });

  test("refuses a non-loopback address without allowRemote", async () => {
    await assert.rejects(
      startAdminServer({
        address: "0.0.0.0",
        port: 0,
        metrics: new Metrics({ defaultMetrics: false }),
        isReady: () => true,
      }),
      /refusing to listen on non-loopback address 0\.0\.0\.0/,
    );
  });

  test("starts on a non-loopback address with allowRemote, and logs a warning", async () => {
    const cap = captureLog();
    const admin = await startAdminServer({
      address: "0.0.0.0",
      port: 0,
      metrics: new Metrics({ defaultMetrics: false }),
      isReady: () => true,
      allowRemote: true,
      logger: createLogger({ level: "info", destination: cap.stream }),
    });
    try {
      assert.equal((await request(admin.port, "GET", "/healthz")).status, 200);
      const warnings = cap.lines().filter((l) => l["log.level"] === "warn");
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0].message), /non-loopback/);
    } finally {
      await admin.close();
    }
  });

  test("duplicate routes are rejected at startup", async () => {
    await assert.rejects(
      startAdminServer({
        address: "127.0.0.1",
        port: 0,
        metrics: new Metrics({ defaultMetrics: false }),
        isReady: () => true,
        extra: [{ method: "GET", path: "/healthz", handler: () => {} }],
      }),
      /duplicate route GET \/healthz/,
    );
  });

  test("a port already in use rejects", async () => {
    const first = await startAdminServer({
      address: "127.0.0.1",
      port: 0,
      metrics: new Metrics({ defaultMetrics: false }),
      isReady: () => true,
    });
    try {
      await assert.rejects(
        startAdminServer({
          address: "127.0.0.1",
          port: first.port,
          metrics: new Metrics({ defaultMetrics: false }),
          isReady: () => true,
        }),
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});
