// Step 1: HTTP/1.1, HTTP/2 over TLS via ALPN, prior-knowledge h2c, and certificates chosen by SNI.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { Agent, request } from "undici";
import { createPki, type TestPki } from "./helpers/certs.ts";
import { baseConfig, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "./helpers/upstream.ts";

function h2get(url: string, path: string, opts: http2.SecureClientSessionOptions = {}) {
  return new Promise<{ status: number; body: string; alpn: string | false }>((resolve, reject) => {
    const session = http2.connect(url, opts);
    session.on("error", reject);
    const req = session.request({ ":path": path, ":method": "GET" });
    let status = 0;
    let body = "";
    req.on("response", (h) => {
      status = Number(h[":status"]);
    });
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      const alpn = (session.socket as tls.TLSSocket).alpnProtocol ?? false;
      session.close();
      resolve({ status, body, alpn });
    });
    req.on("error", reject);
  });
}

function peerCertificateCN(port: number, servername: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { port, host: "127.0.0.1", servername, ca, ALPNProtocols: ["http/1.1"] },
      () => {
        const cn = socket.getPeerCertificate().subject.CN;
        socket.end();
        resolve(String(cn));
      },
    );
    socket.on("error", reject);
  });
}

describe("listeners", () => {
  let up: TestUpstream;
  let gw: TestGateway;
  let pki: TestPki;

  before(async () => {
    pki = createPki();
    const a = pki.leaf("a", ["a.example.test"]);
    const b = pki.leaf("b", ["*.b.example.test"]);
    up = await startUpstream();
    gw = await startTestGateway(
      baseConfig({
        listeners: [
          { name: "plain", address: "127.0.0.1", port: 0, http2: true },
          { name: "tls", address: "127.0.0.1", port: 0, tls: { certificates: [a, b] } },
          { name: "tls-h1", address: "127.0.0.1", port: 0, http2: false, tls: { certificates: [a] } },
        ],
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        routes: [{ name: "all", match: { path: "/" }, upstream: "up" }],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test("HTTP/1.1 on a plaintext listener that also accepts h2c", async () => {
    const res = await request(`http://127.0.0.1:${gw.ports.plain}/one`);
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as { url: string }).url, "/one");
  });

  test("prior-knowledge h2c on the same port", async () => {
    const r = await h2get(`http://127.0.0.1:${gw.ports.plain}`, "/h2c?x=1");
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { url: string }).url, "/h2c?x=1");
  });

  test("HTTP/2 over TLS through ALPN h2", async () => {
    const r = await h2get(`https://127.0.0.1:${gw.ports.tls}`, "/secure", {
      ca: pki.ca,
      servername: "a.example.test",
    });
    assert.equal(r.status, 200);
    assert.equal(r.alpn, "h2");
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    assert.equal(seen.headers["x-forwarded-proto"], "https");
  });

  test("HTTP/1.1 over TLS on the same ALPN listener", async () => {
    const agent = new Agent({ connect: { ca: pki.ca, servername: "a.example.test" } });
    const res = await request(`https://127.0.0.1:${gw.ports.tls}/h1tls`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    const seen = (await res.body.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers["x-forwarded-proto"], "https");
    await agent.close();
  });

  test("the certificate is chosen by SNI: exact, wildcard, and the first as default", async () => {
    assert.equal(await peerCertificateCN(gw.ports.tls, "a.example.test", pki.ca), "a.example.test");
    assert.equal(await peerCertificateCN(gw.ports.tls, "x.b.example.test", pki.ca), "*.b.example.test");
    await assert.rejects(peerCertificateCN(gw.ports.tls, "unknown.test", pki.ca), /altnames|Hostname/i);
  });

  test("a TLS listener with http2: false speaks HTTP/1.1 only", async () => {
    const socket = tls.connect({
      port: gw.ports["tls-h1"],
      host: "127.0.0.1",
      servername: "a.example.test",
      ca: pki.ca,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    await new Promise((r) => socket.once("secureConnect", r));
    assert.notEqual(socket.alpnProtocol, "h2");
    socket.end();
  });
});
