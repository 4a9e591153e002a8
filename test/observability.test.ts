// Step 11 through the running gateway: one access line per request with the fields operators need,
// secrets never logged, and the admin listener's metrics counting what happened.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

interface AccessLine {
  url: { path: string };
  http: { response: { status_code: number; body: { bytes: number } } };
  user_agent: { original: string };
  client: { ip: string };
  event: { duration: number };
  portcullis: { route: string; upstream: string; target: string; flag: string; upstream_duration_ms: number };
}

describe("logs and metrics", () => {
  let up: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    up = await startUpstream((_req, res) => {
      res.writeHead(200, { "set-cookie": "session=upstream-cookie-value" });
      res.end("hello");
    });
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "app", targets: [{ url: up.url }] }],
        routes: [{ name: "app-route", match: { path: "/app" }, upstream: "app" }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test("one access line per request with route, target, status, bytes, durations and flag", async () => {
    const res = await request(`${gw.url}/app/items?token=query-secret-123`, {
      headers: { "user-agent": "obs-test/1", "x-request-id": "obs-1" },
    });
    assert.equal(await res.body.text(), "hello");
    const lines = gw
      .logs()
      .filter((l) => (l.http as { request?: { id?: string } } | undefined)?.request?.id === "obs-1");
    assert.equal(lines.length, 1);
    const line = lines[0] as unknown as AccessLine;
    assert.equal(line.url.path, "/app/items");
    assert.equal(line.http.response.status_code, 200);
    assert.equal(line.http.response.body.bytes, 5);
    assert.equal(line.user_agent.original, "obs-test/1");
    assert.equal(line.client.ip, "127.0.0.1");
    assert.equal(line.portcullis.route, "app-route");
    assert.equal(line.portcullis.upstream, "app");
    assert.equal(line.portcullis.target, `127.0.0.1:${up.port}`);
    assert.equal(line.portcullis.flag, "-");
    assert.ok(line.event.duration > 0);
    assert.ok(line.portcullis.upstream_duration_ms >= 0);
  });

  test("Authorization, cookies, API keys and query strings never reach the log", async () => {
    const secrets = [
      "Bearer very-secret-token",
      "sid=cookie-secret-456",
      "key-secret-789",
      "query-secret-123",
    ];
    const res = await request(`${gw.url}/app/x?api_key=${secrets[3]}`, {
      headers: { authorization: secrets[0], cookie: secrets[1], "x-api-key": secrets[2] },
    });
    await res.body.text();
    const missing = await request(`${gw.url}/nowhere?token=${secrets[3]}`, {
      headers: { authorization: secrets[0] },
    });
    await missing.body.text();
    const text = gw.logText();
    for (const s of [...secrets, "upstream-cookie-value", "very-secret-token"]) {
      assert.ok(!text.includes(s), `log must not contain ${s}`);
    }
  });

  test("metrics count requests by route and status, latencies and open connections", async () => {
    const miss = await request(`${gw.url}/missing`);
    await miss.body.text();
    const res = await request(`${gw.adminUrl}/metrics`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /text\/plain/);
    const text = await res.body.text();
    const count = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    assert.ok(count(/^portcullis_requests_total\{route="app-route",method="GET",code="200"\} (\d+)/m) >= 2);
    assert.ok(count(/^portcullis_requests_total\{route="-",method="GET",code="404"\} (\d+)/m) >= 1);
    assert.match(text, /^portcullis_request_duration_seconds_bucket\{route="app-route",le="[^"]+"\} \d+/m);
    assert.match(text, /^portcullis_upstream_duration_seconds_count\{upstream="app"\} \d+/m);
    assert.match(text, /^portcullis_open_connections\{listener="public"\} \d+/m);
  });

  test("healthz and readyz", async () => {
    const h = await request(`${gw.adminUrl}/healthz`);
    assert.equal(h.statusCode, 200);
    await h.body.text();
    const r = await request(`${gw.adminUrl}/readyz`);
    assert.equal(r.statusCode, 200);
    await r.body.text();
  });
});
