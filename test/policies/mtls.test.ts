// Client certificates: a TLS listener asks for them (tls.clientAuth), the authenticate policy's mtls
// method maps a verified certificate's subject or SAN to a consumer; HTTP/1.1 and HTTP/2 alike.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { after, before, test } from "node:test";
import { createPki, type TestPki } from "../helpers/certs.ts";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

let pki: TestPki;
let gw: TestGateway;
let upstream: TestUpstream;
let strict: TestGateway;

function get(port: number, path: string, client?: { cert: string; key: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: "gw.test",
        ca: pki.ca,
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  pki = createPki();
  const server = pki.leaf("server", ["gw.test"]);
  upstream = await startUpstream();
  const listener = (mode: string) => ({
    name: "tls",
    address: "127.0.0.1",
    port: 0,
    tls: { certificates: [server], clientAuth: { ca: pki.caPath, mode } },
  });
  const routes = [
    {
      name: "mtls",
      match: { path: "/mtls" },
      upstream: "api",
      policies: { authenticate: { methods: [{ mtls: {} }] } },
    },
    { name: "public", match: { path: "/public" }, upstream: "api" },
  ];
  const common = {
    upstreams: [{ name: "api", targets: [{ url: upstream.url }] }],
    consumers: [
      { name: "svc-a", credentials: { mtls: [{ subject: "CN=svc-a.internal" }] } },
      { name: "svc-b", credentials: { mtls: [{ san: "svc-b.alt.internal" }] } },
    ],
    routes,
  };
  gw = await startTestGateway({ ...baseConfig(common), listeners: [listener("optional")] });
  strict = await startTestGateway({ ...baseConfig(common), listeners: [listener("required")] });
});

after(async () => {
  await gw?.close();
  await strict?.close();
  await upstream?.close();
});

test("a verified certificate maps to its consumer by subject or by SAN", async () => {
  const a = pki.leaf("svc-a", ["svc-a.internal"]);
  const b = pki.leaf("svc-b", ["svc-b.internal", "svc-b.alt.internal"]);
  assert.equal((await get(gw.port, "/mtls", a)).status, 200);
  assert.equal(upstream.seen[upstream.seen.length - 1].headers["x-consumer-name"], "svc-a");
  assert.equal(upstream.seen[upstream.seen.length - 1].headers["x-auth-method"], "mtls");
  assert.equal((await get(gw.port, "/mtls", b)).status, 200);
  assert.equal(upstream.seen[upstream.seen.length - 1].headers["x-consumer-name"], "svc-b");
});

test("over HTTP/2 too", async () => {
  const a = pki.leaf("svc-a2", ["svc-a.internal"]);
  const session = http2.connect(`https://127.0.0.1:${gw.port}`, {
    ca: pki.ca,
    servername: "gw.test",
    cert: readFileSync(a.cert),
    key: readFileSync(a.key),
  });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const s = session.request({ ":path": "/mtls" });
      s.on("response", (h) => resolve(Number(h[":status"])));
      s.on("error", reject);
      s.resume();
      s.end();
    });
    assert.equal(status, 200);
  } finally {
    session.close();
  }
});

test("optional mode: no certificate, an unknown one, or one from another CA is 401 on mtls routes only", async () => {
  assert.equal((await get(gw.port, "/mtls")).status, 401);
  assert.equal((await get(gw.port, "/public")).status, 200);
  const stranger = pki.leaf("stranger", ["stranger.internal"]);
  assert.equal((await get(gw.port, "/mtls", stranger)).status, 401);
  // Self-signed with svc-a's subject: not verified by the client CA, so never trusted.
  const forged = pki.selfSigned("forged", "svc-a.internal");
  assert.equal((await get(gw.port, "/mtls", forged)).status, 401);
});

test("required mode: the handshake fails without a certificate", async () => {
  await assert.rejects(get(strict.port, "/public"));
  const a = pki.leaf("svc-a3", ["svc-a.internal"]);
  assert.equal((await get(strict.port, "/mtls", a)).status, 200);
});
