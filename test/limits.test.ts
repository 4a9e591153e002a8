// Size and time limits at the edge, through a real gateway and real upstreams: each limit answers with its
// registry status, closes the connection, and keeps the refused request (or what is left of it) away
// from the upstream.
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { openRaw, parseResponse, type RawResult, rawRequest } from "./helpers/raw.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

interface Watched {
  up: TestUpstream;
  /** TCP connections the upstream accepted. */
  connections: number;
  /** Request-targets whose head arrived. */
  arrived: string[];
  /** Request-targets that arrived but never completed (the gateway cut them). */
  aborted: string[];
}

async function watchedUpstream(): Promise<Watched> {
  const up = await startUpstream();
  const w: Watched = { up, connections: 0, arrived: [], aborted: [] };
  const server = up.server as http.Server;
  server.on("connection", () => w.connections++);
  server.on("request", (req: http.IncomingMessage) => {
    w.arrived.push(req.url ?? "");
    req.once("close", () => {
      if (!req.complete) w.aborted.push(req.url ?? "");
    });
  });
  return w;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function problemOf(r: RawResult, status: number, code: string) {
  const res = parseResponse(r.text);
  assert.ok(res, `no response: ${JSON.stringify(r.text)}`);
  assert.equal(res.status, status, r.text);
  assert.equal(res.headers["content-type"], "application/problem+json");
  assert.equal((JSON.parse(res.body) as { code: string }).code, code);
  assert.equal(r.closed, true, "the gateway closes the connection");
}

const get = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
const headerLines = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join("");

describe("limits", () => {
  let main: Watched;
  let big: Watched;
  let chunky: Watched;
  let slow: Watched;
  let gw: TestGateway;
  let defaults: TestGateway;

  before(async () => {
    main = await watchedUpstream();
    big = await watchedUpstream();
    chunky = await watchedUpstream();
    slow = await watchedUpstream();
    const upstreams = [
      { name: "main", targets: [{ url: main.up.url }] },
      { name: "big", targets: [{ url: big.up.url }] },
      { name: "chunky", targets: [{ url: chunky.up.url }] },
      { name: "slow", targets: [{ url: slow.up.url }] },
    ];
    const routes = [
      { name: "big", match: { path: "/big" }, upstream: "big" },
      { name: "chunky", match: { path: "/chunky" }, upstream: "chunky" },
      { name: "slow", match: { path: "/slow" }, upstream: "slow" },
      { name: "all", match: { path: "/" }, upstream: "main" },
    ];
    gw = await startTestGateway(
      baseConfig({
        upstreams,
        routes,
        limits: {
          maxHeaderBytes: 2048,
          maxHeaders: 10,
          maxUrlLength: 100,
          maxBodyBytes: 1024,
          headersTimeoutMs: 2_000,
          bodyIdleTimeoutMs: 1_000,
          keepAliveTimeoutMs: 1_000,
        },
      }),
    );
    defaults = await startTestGateway(baseConfig({ upstreams, routes }));
  });
  after(async () => {
    await gw.close();
    await defaults.close();
    for (const w of [main, big, chunky, slow]) await w.up.close();
  });

  describe("sizes (small configured limits)", () => {
    test("headers just under maxHeaderBytes pass", async () => {
      const r = await rawRequest(gw.port, get("/ok", `X-Pad: ${"a".repeat(1_500)}\r\n`));
      assert.equal(r.status, 200, r.text);
    });
    test("header bytes over maxHeaderBytes: 431", async () => {
      const r = await rawRequest(gw.port, get("/h", `X-Pad: ${"a".repeat(3_000)}\r\n`));
      problemOf(r, 431, "HEADERS_TOO_LARGE");
      assert.ok(!main.arrived.includes("/h"));
    });
    test("maxHeaders fields pass (Host counts)", async () => {
      const r = await rawRequest(gw.port, get("/ok", headerLines(8)));
      assert.equal(r.status, 200, r.text);
    });
    test("header count over maxHeaders: 431", async () => {
      const r = await rawRequest(gw.port, get("/n", headerLines(12)));
      problemOf(r, 431, "HEADERS_TOO_LARGE");
      assert.ok(!main.arrived.includes("/n"));
    });
    test("URL longer than maxUrlLength: 414", async () => {
      const path = `/u${"x".repeat(120)}`;
      const r = await rawRequest(gw.port, get(path));
      problemOf(r, 414, "URI_TOO_LONG");
      assert.ok(!main.arrived.includes(path));
    });
    test("Content-Length over maxBodyBytes: 413, and the upstream is never contacted", async () => {
      const body = "b".repeat(2_048);
      const r = await rawRequest(
        gw.port,
        `POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      problemOf(r, 413, "BODY_TOO_LARGE");
      await sleep(50);
      assert.equal(big.connections, 0, "no TCP connection reached the upstream");
      assert.deepEqual(big.up.seen, []);
    });
    test("a body of exactly maxBodyBytes passes", async () => {
      const body = "b".repeat(1_024);
      const r = await rawRequest(
        gw.port,
        `POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      assert.equal(r.status, 200, r.text);
      assert.equal(main.up.seen.at(-1)!.body.length, 1_024);
    });
    test("a chunked body crossing maxBodyBytes: 413, and the upstream never gets a complete request", async () => {
      const chunk = `200\r\n${"c".repeat(512)}\r\n`;
      const r = await rawRequest(
        gw.port,
        `POST /chunky HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(4)}0\r\n\r\n`,
      );
      problemOf(r, 413, "BODY_TOO_LARGE");
      await sleep(100);
      assert.deepEqual(chunky.up.seen, [], "no complete request upstream");
      assert.deepEqual(chunky.aborted, chunky.arrived, "whatever arrived was cut");
    });
  });

  describe("sizes (defaults)", () => {
    test("header section over 16 KiB: 431", async () => {
      const r = await rawRequest(defaults.port, get("/h", `X-Pad: ${"a".repeat(17 * 1024)}\r\n`));
      problemOf(r, 431, "HEADERS_TOO_LARGE");
    });
    test("101 header fields: 431", async () => {
      const r = await rawRequest(defaults.port, get("/n", headerLines(100)));
      problemOf(r, 431, "HEADERS_TOO_LARGE");
    });
    test("100 header fields pass", async () => {
      const r = await rawRequest(defaults.port, get("/n", headerLines(98)));
      assert.equal(r.status, 200, r.text);
    });
    test("URL over 8 KiB: 414", async () => {
      const r = await rawRequest(defaults.port, get(`/u${"x".repeat(8 * 1024)}`));
      problemOf(r, 414, "URI_TOO_LONG");
    });
    test("Content-Length over 10 MiB: 413 before any body is read", async () => {
      const r = await rawRequest(
        defaults.port,
        `POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * 1024 * 1024 + 1}\r\n\r\n`,
      );
      problemOf(r, 413, "BODY_TOO_LARGE");
      assert.equal(big.connections, 0);
    });
  });

  // The slow tests wait on timers, not on the CPU: run them side by side.
  describe("time", { concurrency: true }, () => {
    test("slowloris: headers one byte every 500 ms get 408 at headersTimeoutMs (2 s)", async () => {
      const head = "GET /slowloris HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n\r\n";
      const pieces = [...head].flatMap((c) => [c, 500]);
      const r = await rawRequest(gw.port, pieces, 5_000);
      problemOf(r, 408, "REQUEST_TIMEOUT");
      // Node checks the headers timeout every connectionsCheckingInterval (500 ms): 2-2.5 s, plus load.
      assert.ok(r.elapsedMs >= 1_900 && r.elapsedMs < 3_500, `closed after ${r.elapsedMs} ms`);
      assert.ok(!main.arrived.includes("/slowloris"));
    });

    test("a body pausing longer than bodyIdleTimeoutMs: 408, connection closed, upstream request aborted", async () => {
      const r = await rawRequest(
        gw.port,
        ["POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab", 2_500, "cdefghij"],
        4_000,
      );
      problemOf(r, 408, "REQUEST_TIMEOUT");
      assert.ok(r.elapsedMs >= 950 && r.elapsedMs < 2_000, `answered after ${r.elapsedMs} ms`);
      await sleep(100);
      assert.deepEqual(slow.arrived, ["/slow"], "the request had reached the upstream");
      assert.deepEqual(slow.aborted, ["/slow"], "and was aborted there");
      assert.deepEqual(slow.up.seen, []);
    });

    test("an idle keep-alive connection is closed after keepAliveTimeoutMs", async () => {
      const conn = await openRaw(gw.port);
      const res = await conn.exchange("GET /ka HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(res.status, 200);
      assert.equal(res.headers["keep-alive"], "timeout=1");
      const answeredAt = performance.now();
      const closedAt = await Promise.race([conn.closed.then(() => performance.now()), sleep(4_000)]);
      conn.close();
      assert.ok(typeof closedAt === "number", "the gateway never closed the idle connection");
      const idle = closedAt - answeredAt;
      // Node keeps the socket open keepAliveTimeoutBuffer (1 s) past the advertised timeout, so a client
      // that reuses it right at the limit does not race the close.
      assert.ok(idle >= 950 && idle < 3_000, `closed after ${idle} ms idle`);
    });
  });
});

describe("maxConnections", () => {
  let up: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    up = await startUpstream();
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "main", targets: [{ url: up.url }] }],
        routes: [{ name: "all", match: { path: "/" }, upstream: "main" }],
        limits: { maxConnections: 2 },
      }),
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test("a third concurrent connection is closed while two stay usable", async () => {
    const req = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const a = await openRaw(gw.port);
    const b = await openRaw(gw.port);
    try {
      assert.equal((await a.exchange(req("/a1"))).status, 200);
      assert.equal((await b.exchange(req("/b1"))).status, 200);
      const third = await rawRequest(gw.port, req("/c1"), 1_000);
      assert.equal(third.closed, true, "the third connection is closed");
      assert.equal(third.text, "", "and gets no response");
      assert.equal((await a.exchange(req("/a2"))).status, 200);
      assert.equal((await b.exchange(req("/b2"))).status, 200);
      assert.ok(!up.seen.some((s) => s.url === "/c1"));
    } finally {
      a.close();
      b.close();
    }
    // Once one closes, a new connection is served again.
    await a.closed;
    await sleep(20);
    const again = await rawRequest(gw.port, `GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(again.status, 200);
  });
});
