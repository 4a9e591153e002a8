// Hung, refused, reset and malformed backends: a problem reply inside the timeout, never a hang and
// never garbage relayed to the client.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { closedPort, startRawUpstream, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("upstream failures", () => {
  const ups: TestUpstream[] = [];
  let gw: TestGateway;
  let blackhole: ChildProcess;

  before(async () => {
    blackhole = spawn("python3", [new URL("./helpers/backlog.py", import.meta.url).pathname, "60"]);
    const [portLine] = (await once(blackhole.stdout!, "data")) as [Buffer];
    const blackholePort = Number(portLine.toString().trim());
    const hung = await startRawUpstream(() => {}); // accepts, never answers
    const reset = await startRawUpstream((s) => s.once("data", () => s.resetAndDestroy()));
    const garbage = await startRawUpstream((s) => s.once("data", () => s.end("HTTP/1.1 2xx WHAT\r\n\r\n")));
    const badHeader = await startRawUpstream((s) =>
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello")),
    );
    const shortBody = await startRawUpstream((s) =>
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")),
    );
    const stallBody = await startRawUpstream((s) =>
      s.once("data", () => s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst")),
    );
    const slow = await startUpstream((_req, res) => setTimeout(() => res.end("late"), 5_000).unref());
    ups.push(hung, reset, garbage, badHeader, shortBody, stallBody, slow);
    const refused = await closedPort();
    const fast = { connectMs: 300, responseHeadersMs: 400, bodyIdleMs: 400 };
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          { name: "hung", targets: [{ url: hung.url }], timeouts: fast },
          { name: "refused", targets: [{ url: `http://127.0.0.1:${refused}` }], timeouts: fast },
          { name: "blackhole", targets: [{ url: `http://127.0.0.1:${blackholePort}` }], timeouts: fast },
          { name: "reset", targets: [{ url: reset.url }], timeouts: fast },
          { name: "garbage", targets: [{ url: garbage.url }], timeouts: fast },
          { name: "badheader", targets: [{ url: badHeader.url }], timeouts: fast },
          { name: "short", targets: [{ url: shortBody.url }], timeouts: fast },
          { name: "stall", targets: [{ url: stallBody.url }], timeouts: fast },
          { name: "slow", targets: [{ url: slow.url }] },
        ],
        routes: [
          ...["hung", "refused", "blackhole", "reset", "garbage", "badheader", "short", "stall"].map((n) => ({
            name: n,
            match: { path: `/${n}` },
            upstream: n,
          })),
          { name: "slow", match: { path: "/slow" }, upstream: "slow", timeouts: { responseHeadersMs: 300 } },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    for (const u of ups) await u.close();
    blackhole.kill();
  });

  async function problem(path: string) {
    const started = performance.now();
    const res = await request(`${gw.url}${path}`, { headersTimeout: 5_000 });
    const body = (await res.body.json()) as { code: string; status: number; requestId: string };
    return { res, body, ms: performance.now() - started };
  }

  test("a hung backend gets 504 within its response timeout", async () => {
    const { res, body, ms } = await problem("/hung");
    assert.equal(res.statusCode, 504);
    assert.equal(body.code, "UPSTREAM_TIMEOUT");
    assert.equal(res.headers["content-type"], "application/problem+json");
    assert.ok(ms < 3_000, `took ${ms} ms`);
  });

  test("a connection that cannot be established gets 504 UPSTREAM_CONNECT_TIMEOUT within connectMs", async () => {
    const { res, body, ms } = await problem("/blackhole");
    assert.equal(res.statusCode, 504);
    assert.equal(body.code, "UPSTREAM_CONNECT_TIMEOUT");
    assert.ok(ms < 3_000, `took ${ms} ms`);
  });

  test("a per-route timeout overrides the upstream's", async () => {
    const { res, body } = await problem("/slow");
    assert.equal(res.statusCode, 504);
    assert.equal(body.code, "UPSTREAM_TIMEOUT");
  });

  test("a refused connection gets 502 UPSTREAM_CONNECT_FAILED", async () => {
    const { res, body } = await problem("/refused");
    assert.equal(res.statusCode, 502);
    assert.equal(body.code, "UPSTREAM_CONNECT_FAILED");
  });

  test("a reset gets 502 UPSTREAM_RESET", async () => {
    const { res, body } = await problem("/reset");
    assert.equal(res.statusCode, 502);
    assert.equal(body.code, "UPSTREAM_RESET");
  });

  test("a malformed status line or framing gets 502 UPSTREAM_PROTOCOL_ERROR, nothing of it relayed", async () => {
    for (const path of ["/garbage", "/badheader"]) {
      const { res, body } = await problem(path);
      assert.equal(res.statusCode, 502, path);
      assert.equal(body.code, "UPSTREAM_PROTOCOL_ERROR", path);
    }
  });

  test("a body cut short or stalled after the head cuts the client response instead of completing it", async () => {
    for (const path of ["/short", "/stall"]) {
      const res = await request(`${gw.url}${path}`);
      assert.equal(res.statusCode, 200);
      await assert.rejects(res.body.text(), path);
    }
    const flags = gw
      .logs()
      .filter((l) => ["/short", "/stall"].includes((l.url as { path?: string } | undefined)?.path ?? ""))
      .map((l) => (l.portcullis as { flag: string }).flag);
    // A body that ends early is an upstream connection termination (UC); one that stalls, a timeout (UT).
    assert.deepEqual(flags.sort(), ["UC", "UT"]);
  });

  test("error responses carry the request id and are logged with a response flag", async () => {
    const { res, body } = await problem("/refused");
    assert.equal(body.requestId, res.headers["x-request-id"]);
    const line = gw
      .logs()
      .find((l) => (l.http as { request?: { id?: string } } | undefined)?.request?.id === body.requestId);
    assert.equal((line!.portcullis as { flag: string }).flag, "UF");
  });
});
