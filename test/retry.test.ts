// Retries through the running gateway: a failed try goes to another target when it is safe (nothing
// sent, or an idempotent request without a body), never when a non-idempotent body went upstream, and
// the retry budget caps them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { closedPort, startRawUpstream, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("retries", () => {
  let good: TestUpstream;
  let resetting: TestUpstream;
  let unavailable: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    good = await startUpstream((_req, res, body) => res.end(`good:${body.length}`));
    // Reads the request, then resets the connection: the request was sent, no response came.
    resetting = await startRawUpstream((s) => s.once("data", () => s.resetAndDestroy()));
    unavailable = await startUpstream((_req, res) => {
      res.statusCode = 503;
      res.end("unavailable");
    });
    const dead = await closedPort();
    const retry = { attempts: 3, backoffBaseMs: 1, backoffMaxMs: 5 };
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "refusing",
            balancer: "round-robin",
            targets: [{ url: `http://127.0.0.1:${dead}` }, { url: good.url }],
          },
          {
            name: "resetting",
            balancer: "round-robin",
            targets: [{ url: resetting.url }, { url: good.url }],
          },
          {
            name: "unavailable",
            balancer: "round-robin",
            targets: [{ url: unavailable.url }, { url: good.url }],
          },
          {
            name: "nobudget",
            balancer: "round-robin",
            targets: [{ url: `http://127.0.0.1:${dead}` }, { url: good.url }],
            retryBudget: { ratio: 0, minRetriesPerSecond: 0 },
          },
        ],
        routes: ["refusing", "resetting", "unavailable", "nobudget"].map((n) => ({
          name: n,
          match: { path: `/${n}` },
          upstream: n,
          retry,
        })),
      }),
    );
  });
  after(async () => {
    await gw.close();
    await good.close();
    await resetting.close();
    await unavailable.close();
  });

  async function send(path: string, method: "GET" | "POST" = "GET") {
    const res = await request(`${gw.url}${path}`, {
      method,
      ...(method === "POST" ? { body: "payload" } : {}),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  test("a refused connection is retried on another target, whatever the method (nothing was sent)", async () => {
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await send("/refusing"), { status: 200, body: "good:0" });
      assert.deepEqual(await send("/refusing", "POST"), { status: 200, body: "good:7" });
    }
  });

  test("a GET whose connection was reset after sending is retried; a POST with a body is not replayed", async () => {
    const gets = await Promise.all(Array.from({ length: 4 }, () => send("/resetting")));
    for (const r of gets) assert.deepEqual(r, { status: 200, body: "good:0" });
    const posts = [];
    for (let i = 0; i < 4; i++) posts.push(await send("/resetting", "POST"));
    assert.ok(
      posts.some((r) => r.status === 502),
      `a POST that reached the resetting target must fail, not be replayed: ${JSON.stringify(posts)}`,
    );
    for (const r of posts) assert.ok(r.status === 502 || r.body === "good:7");
  });

  test("a 503 answer is retried for GET, relayed for POST", async () => {
    for (let i = 0; i < 4; i++) assert.equal((await send("/unavailable")).body, "good:0");
    const posts = [];
    for (let i = 0; i < 4; i++) posts.push(await send("/unavailable", "POST"));
    assert.ok(
      posts.some((r) => r.status === 503 && r.body === "unavailable"),
      JSON.stringify(posts),
    );
  });

  test("the retry budget caps retries: with none left a failure is answered as is", async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await send("/nobudget")).status);
    assert.ok(results.includes(502), JSON.stringify(results));
  });

  test("retries are logged with the request", async () => {
    const line = gw.logs().find((l) => (l.portcullis as { retries?: number } | undefined)?.retries === 1);
    assert.ok(line, "an access line carries portcullis.retries");
  });

  test("the total deadline bounds every try together: no retry once it is spent", async (t) => {
    const hung = await startRawUpstream(() => {});
    const hung2 = await startRawUpstream(() => {});
    t.after(async () => {
      await hung.close();
      await hung2.close();
    });
    const deadline = await startTestGateway(
      baseConfig({
        upstreams: [
          {
            name: "hung",
            balancer: "round-robin",
            targets: [{ url: hung.url }, { url: hung2.url }],
            timeouts: { responseHeadersMs: 1500, totalMs: 3000 },
          },
        ],
        routes: [
          {
            name: "h",
            match: { path: "/" },
            upstream: "hung",
            retry: { attempts: 5, on: ["timeout"], backoffBaseMs: 1 },
          },
        ],
      }),
    );
    t.after(() => deadline.close());
    const res = await request(`${deadline.url}/slow`);
    const body = (await res.body.json()) as { code: string };
    assert.equal(res.statusCode, 504);
    assert.equal(body.code, "UPSTREAM_TIMEOUT");
    const line = deadline.logs().find((l) => (l.url as { path?: string } | undefined)?.path === "/slow");
    // The first try timed out after 1.5 s; the second got only what was left of 3 s; no third.
    assert.equal((line!.portcullis as { retries?: number }).retries, 1);
  });
});
