// Per-route fallback: when no target of the route's upstream can take the request, a static reply or
// another upstream answers instead of the 503, and the access log keeps the reason.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { closedPort, startUpstream, type TestUpstream } from "./helpers/upstream.ts";

describe("fallback", () => {
  let spare: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    spare = await startUpstream((req, res) => res.end(`spare:${req.url}`));
    const dead = await closedPort();
    const probe = { intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 1, healthyThreshold: 1 };
    gw = await startTestGateway(
      baseConfig({
        upstreams: [
          { name: "down", targets: [{ url: `http://127.0.0.1:${dead}` }], health: { active: probe } },
          { name: "spare", targets: [{ url: spare.url }] },
        ],
        routes: [
          {
            name: "static",
            match: { path: "/static" },
            upstream: "down",
            fallback: { status: 200, body: '{"maintenance":true}', contentType: "application/json" },
          },
          { name: "other", match: { path: "/other" }, upstream: "down", fallback: { upstream: "spare" } },
          { name: "none", match: { path: "/none" }, upstream: "down" },
        ],
      }),
    );
    await new Promise((r) => setTimeout(r, 300)); // the first probe marks the target down
  });
  after(async () => {
    await gw.close();
    await spare.close();
  });

  test("a static fallback answers, and the log keeps the reason (UH)", async () => {
    const res = await request(`${gw.url}/static/x`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "application/json");
    assert.deepEqual(await res.body.json(), { maintenance: true });
    const line = gw.logs().find((l) => (l.url as { path?: string } | undefined)?.path === "/static/x");
    assert.equal((line!.portcullis as { flag: string }).flag, "UH");
  });

  test("an upstream fallback serves the request", async () => {
    const res = await request(`${gw.url}/other/y?z=1`);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), "spare:/other/y?z=1");
  });

  test("without a fallback the 503 stands", async () => {
    const res = await request(`${gw.url}/none`);
    assert.equal(res.statusCode, 503);
    await res.body.text();
  });
});
