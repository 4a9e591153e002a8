// The authorize policy through a real gateway: scopes from real JWT access tokens, groups and consumers
// from API-key consumers, and an external authorization service on port 0.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hashApiKey } from "../../src/consumers/hash.ts";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startOidcProvider, type TestOidcProvider } from "../helpers/oidc.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

const STAFF_KEY = "pk_staff_0123456789abcdefghijklmnopqrstuvwxyz";
const GUEST_KEY = "pk_guest_0123456789abcdefghijklmnopqrstuvwxyz";
const BANNED_KEY = "pk_banned_0123456789abcdefghijklmnopqrstuvwxy";

let op: TestOidcProvider;
let upstream: TestUpstream;
let gw: TestGateway;
let authz: http.Server;
let authzMode: "allow" | "deny" | "slow" | "broken" = "allow";
const authzSeen: Record<string, unknown>[] = [];

async function call(path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(`${gw.url}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}
const key = (k: string) => ({ "x-api-key": k });
const lastSeen = () => upstream.seen[upstream.seen.length - 1];

before(async () => {
  op = await startOidcProvider();
  upstream = await startUpstream();
  authz = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      authzSeen.push(JSON.parse(body));
      if (authzMode === "slow") return void setTimeout(() => res.end(), 1000);
      if (authzMode === "broken") return void res.writeHead(500).end();
      if (authzMode === "deny") return void res.writeHead(403).end("no");
      res.writeHead(200, { "x-tenant": "acme", "x-other": "dropped" }).end();
    });
  });
  await new Promise<void>((r) => authz.listen(0, "127.0.0.1", r));
  const authzUrl = `http://127.0.0.1:${(authz.address() as AddressInfo).port}/check`;
  const caFile = join(tmpdir(), `portcullis-authz-ca-${process.pid}.pem`);
  writeFileSync(caFile, op.ca);
  const keys = { authenticate: { methods: [{ apiKey: {} }] } };
  gw = await startTestGateway(
    baseConfig({
      upstreams: [{ name: "api", targets: [{ url: upstream.url }] }],
      consumers: [
        { name: "staff", groups: ["staff"], credentials: { apiKeys: [hashApiKey(STAFF_KEY)] } },
        { name: "guest", credentials: { apiKeys: [hashApiKey(GUEST_KEY)] } },
        { name: "banned", groups: ["staff"], credentials: { apiKeys: [hashApiKey(BANNED_KEY)] } },
      ],
      routes: [
        {
          name: "scoped",
          match: { path: "/scoped" },
          upstream: "api",
          policies: {
            authenticate: {
              methods: [
                { jwt: { issuer: op.issuer, audiences: [op.resource], algorithms: ["RS256"], ca: caFile } },
              ],
            },
            authorize: {
              rules: [
                { methods: ["GET"], scopes: ["read"] },
                { methods: ["POST", "DELETE"], scopes: ["write"] },
              ],
            },
          },
        },
        {
          name: "staff",
          match: { path: "/staff" },
          upstream: "api",
          policies: {
            ...keys,
            authorize: { rules: [{ groups: ["staff"] }], consumers: { deny: ["banned"] } },
          },
        },
        {
          name: "get-only",
          match: { path: "/reports" },
          upstream: "api",
          policies: { ...keys, authorize: { rules: [{ methods: ["GET"], groups: ["staff"] }] } },
        },
        {
          name: "external",
          match: { path: "/ext" },
          upstream: "api",
          policies: {
            ...keys,
            authorize: {
              external: {
                url: authzUrl,
                timeoutMs: 150,
                upstreamHeaders: ["x-tenant"],
                requestHeaders: ["x-trace"],
              },
            },
          },
        },
        {
          name: "external-open",
          match: { path: "/ext-open" },
          upstream: "api",
          policies: {
            ...keys,
            authorize: { external: { url: authzUrl, timeoutMs: 150, failureMode: "open" } },
          },
        },
        {
          name: "external-cached",
          match: { path: "/ext-cached" },
          upstream: "api",
          policies: { ...keys, authorize: { external: { url: authzUrl, cacheTtlMs: 60_000 } } },
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await op?.close();
  authz?.closeAllConnections();
  await new Promise((r) => authz?.close(r));
});

describe("scopes, groups and consumers", () => {
  test("a token with scope read may GET but not POST: 403 insufficient_scope", async () => {
    const token = await op.jwtAccessToken({ scope: "read" });
    assert.equal((await call("/scoped", { authorization: `Bearer ${token}` })).status, 200);
    const r = await call("/scoped", { authorization: `Bearer ${token}` }, "POST");
    assert.equal(r.status, 403);
    assert.equal(r.json().code, "FORBIDDEN");
    assert.equal(r.headers.get("www-authenticate"), 'Bearer error="insufficient_scope", scope="write"');
    const both = await op.jwtAccessToken({ scope: "read write" });
    assert.equal((await call("/scoped", { authorization: `Bearer ${both}` }, "POST")).status, 200);
  });

  test("groups come from the consumer; a denied consumer is 403 even in the group", async () => {
    assert.equal((await call("/staff", key(STAFF_KEY))).status, 200);
    assert.equal((await call("/staff", key(GUEST_KEY))).status, 403);
    assert.equal((await call("/staff", key(BANNED_KEY))).status, 403);
    assert.equal((await call("/staff")).status, 401, "no identity: 401 from authenticate");
  });
});

test("a rule about GET also covers HEAD (the router serves HEAD on GET routes)", async () => {
  assert.equal((await call("/reports", key(GUEST_KEY))).status, 403);
  assert.equal((await call("/reports", key(GUEST_KEY), "HEAD")).status, 403);
  assert.equal((await call("/reports", key(STAFF_KEY), "HEAD")).status, 200);
});

describe("external authorization", () => {
  test("allow: the service sees the metadata; chosen answer headers go upstream, forged copies do not", async () => {
    authzMode = "allow";
    const r = await call("/ext?a=1", { ...key(STAFF_KEY), "x-trace": "t-1", "x-tenant": "forged" });
    assert.equal(r.status, 200);
    assert.equal(lastSeen().headers["x-tenant"], "acme");
    assert.equal(lastSeen().headers["x-other"], undefined);
    const seen = authzSeen[authzSeen.length - 1] as {
      request: { method: string; path: string; query: string; headers: Record<string, string> };
      identity: { consumer: string; groups: string[] };
    };
    assert.equal(seen.request.path, "/ext");
    assert.equal(seen.request.query, "a=1");
    assert.deepEqual(seen.request.headers, { "x-trace": "t-1" });
    assert.equal(seen.identity.consumer, "staff");
    assert.deepEqual(seen.identity.groups, ["staff"]);
    assert.equal(JSON.stringify(seen).includes(STAFF_KEY), false, "credentials are not sent");
  });

  test("deny: 403 FORBIDDEN", async () => {
    authzMode = "deny";
    const r = await call("/ext", key(STAFF_KEY));
    assert.equal(r.status, 403);
    assert.equal(r.json().code, "FORBIDDEN");
  });

  test("slow or failing service: fail closed with 503 by default, within the timeout; open lets it through", async () => {
    for (const mode of ["slow", "broken"] as const) {
      authzMode = mode;
      const started = performance.now();
      const r = await call("/ext", key(STAFF_KEY));
      assert.equal(r.status, 503, mode);
      assert.equal(r.json().code, "AUTHZ_UNAVAILABLE");
      assert.ok(performance.now() - started < 900, "bounded by timeoutMs, not the service");
      assert.equal((await call("/ext-open", key(STAFF_KEY))).status, 200, mode);
    }
  });

  test("cached decisions: repeated requests make one call", async () => {
    authzMode = "allow";
    const before = authzSeen.length;
    for (let i = 0; i < 5; i++) assert.equal((await call("/ext-cached", key(STAFF_KEY))).status, 200);
    assert.equal(authzSeen.length - before, 1);
  });
});
