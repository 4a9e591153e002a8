// The authenticate policy through a real gateway: API keys, Basic, JWT access tokens from a real OpenID
// provider (oidc-provider over HTTPS), opaque tokens through introspection, and identity headers upstream.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hashApiKey, hashPassword } from "../../src/consumers/hash.ts";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { attackTokens, validClaims } from "../helpers/jwt-attacks.ts";
import { startOidcProvider, type TestOidcProvider } from "../helpers/oidc.ts";
import { closedPort, startUpstream, type TestUpstream } from "../helpers/upstream.ts";

const API_KEY = "pk_test_0123456789abcdefghijklmnopqrstuvwxyz";
const PASSWORD = "correct horse battery staple";
const CLIENT_SECRET_MARK = "client-secret-must-not-leak";

let op: TestOidcProvider;
let upstream: TestUpstream;
let gw: TestGateway;
let caFile: string;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const lastSeen = () => upstream.seen[upstream.seen.length - 1];

before(async () => {
  op = await startOidcProvider();
  upstream = await startUpstream();
  caFile = join(tmpdir(), `portcullis-oidc-ca-${process.pid}.pem`);
  writeFileSync(caFile, op.ca);
  const jwt = {
    issuer: op.issuer,
    audiences: [op.resource],
    algorithms: ["RS256"],
    ca: caFile,
    cooldownMs: 1000,
  };
  gw = await startTestGateway(
    baseConfig({
      upstreams: [{ name: "api", targets: [{ url: upstream.url }] }],
      consumers: [
        { name: "alice", id: "c-1", groups: ["staff"], credentials: { apiKeys: [hashApiKey(API_KEY)] } },
        {
          name: "bob",
          credentials: { basic: { username: "bob", password: await hashPassword(PASSWORD, 10) } },
        },
        { name: "batch", credentials: { jwt: [{ issuer: op.issuer, subject: op.clientId }] } },
      ],
      routes: [
        {
          name: "keys",
          match: { path: "/keys" },
          upstream: "api",
          policies: {
            authenticate: {
              methods: [{ apiKey: {} }, { basic: {} }],
              upstream: { claims: { scope: "x-scope" } },
            },
          },
        },
        {
          name: "tokens",
          match: { path: "/tokens" },
          upstream: "api",
          policies: {
            authenticate: {
              methods: [
                { jwt: { ...jwt, consumerClaim: "client_id" } },
                {
                  introspection: {
                    issuer: op.issuer,
                    clientId: op.clientId,
                    clientSecret: op.clientSecret,
                    ca: caFile,
                    timeoutMs: 500,
                  },
                },
              ],
              upstream: { claims: { scope: "x-scope" } },
            },
          },
        },
        {
          name: "mixed",
          match: { path: "/mixed" },
          upstream: "api",
          policies: {
            authenticate: { methods: [{ apiKey: {} }, { jwt: { ...jwt } }], anonymous: true },
          },
        },
        {
          name: "open",
          match: { path: "/open" },
          upstream: "api",
          policies: { authenticate: { methods: [{ apiKey: {} }], anonymous: true } },
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await op?.close();
});

describe("API keys and Basic", () => {
  test("a known key passes; the consumer is named upstream and the key is not forwarded", async () => {
    const r = await get("/keys/a", {
      "x-api-key": API_KEY,
      "x-consumer-id": "forged",
      "x-auth-subject": "x",
    });
    assert.equal(r.status, 200);
    const h = lastSeen().headers;
    assert.equal(h["x-consumer-id"], "c-1");
    assert.equal(h["x-consumer-name"], "alice");
    assert.equal(h["x-auth-method"], "apiKey");
    assert.equal(h["x-auth-subject"], "alice");
    assert.equal(h["x-api-key"], undefined);
  });

  test("an unknown key or none: 401 problem with a challenge per method", async () => {
    const before = upstream.seen.length;
    for (const headers of [{ "x-api-key": "nope" }, {}] as Record<string, string>[]) {
      const r = await get("/keys/a", headers);
      assert.equal(r.status, 401);
      assert.equal(r.json().code, "UNAUTHENTICATED");
      assert.match(r.headers.get("www-authenticate") ?? "", /ApiKey header="x-api-key"/);
      assert.match(r.headers.get("www-authenticate") ?? "", /Basic realm="portcullis", charset="UTF-8"/);
    }
    assert.equal(upstream.seen.length, before);
  });

  test("Basic: right password passes (scrypt), wrong password and unknown user are refused", async () => {
    const basic = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
    });
    assert.equal((await get("/keys/b", basic("bob", PASSWORD))).status, 200);
    assert.equal(lastSeen().headers["x-consumer-name"], "bob");
    assert.equal(lastSeen().headers.authorization, undefined);
    assert.equal((await get("/keys/b", basic("bob", PASSWORD))).status, 200);
    assert.equal((await get("/keys/b", basic("bob", "wrong"))).status, 401);
    assert.equal((await get("/keys/b", basic("mallory", PASSWORD))).status, 401);
    assert.equal((await get("/keys/b", { authorization: "Basic !!!" })).status, 401);
  });

  test("anonymous routes pass requests without credentials but strip forged identity headers", async () => {
    const r = await get("/open", { "x-consumer-id": "forged", "x-consumer-name": "admin" });
    assert.equal(r.status, 200);
    assert.equal(lastSeen().headers["x-consumer-id"], undefined);
    assert.equal(lastSeen().headers["x-consumer-name"], undefined);
    assert.equal(
      (await get("/open", { "x-api-key": "bad" })).status,
      401,
      "a bad credential is still refused",
    );
  });
});

describe("credentials that were not checked never reach the upstream", () => {
  test("an API key request with a forged bearer token alongside: the token is removed", async () => {
    const r = await get("/mixed", { "x-api-key": API_KEY, authorization: "Bearer forged.token.here" });
    assert.equal(r.status, 200);
    assert.equal(lastSeen().headers["x-auth-method"], "apiKey");
    assert.equal(lastSeen().headers.authorization, undefined);
  });

  test("an Authorization header no method accepts is refused, even on an anonymous route", async () => {
    for (const value of ["Bearer\tforged", "Token abc", "JWT abc"]) {
      const r = await get("/mixed", { authorization: value });
      assert.equal(r.status, 401, value);
    }
    assert.equal((await get("/mixed")).status, 200, "no credential at all is still anonymous");
  });
});

describe("JWT access tokens from a real OpenID provider", () => {
  test("a client-credentials token verified through discovery + JWKS; claims and consumer go upstream", async () => {
    const token = await op.jwtAccessToken({ scope: "read" });
    const r = await get("/tokens/x", bearer(token));
    assert.equal(r.status, 200, r.text);
    const h = lastSeen().headers;
    assert.equal(h["x-auth-method"], "jwt");
    assert.equal(h["x-consumer-name"], "batch");
    assert.equal(h["x-scope"], "read");
    assert.equal(h.authorization, `Bearer ${token}`, "bearer tokens are forwarded unless hideCredentials");
  });

  test("every attack token is refused with 401 invalid_token and never reaches the upstream", async () => {
    const before = upstream.seen.length;
    const attacks = await attackTokens(op);
    assert.ok(attacks.length >= 20);
    for (const a of attacks) {
      const r = await get("/tokens/x", bearer(a.token));
      assert.equal(r.status, 401, `${a.name}: ${r.text}`);
      assert.match(
        r.headers.get("www-authenticate") ?? "",
        /Bearer realm="portcullis", error="invalid_token"/,
        a.name,
      );
    }
    assert.equal(upstream.seen.length, before);
  });

  test("a claim that is not well-formed UTF-16 is encoded for the header, not a 500", async () => {
    const token = await op.signWithProviderKey(validClaims(op, { sub: "a\ud800" }));
    const r = await get("/tokens/x", bearer(token));
    assert.equal(r.status, 200, r.text);
    assert.equal(lastSeen().headers["x-auth-subject"], "a%EF%BF%BD");
  });

  test("a sender-constrained token (cnf) is refused: its proof of possession is not checked", async () => {
    const token = await op.signWithProviderKey(validClaims(op, { cnf: { jkt: "abc" } }));
    assert.equal((await get("/tokens/x", bearer(token))).status, 401);
  });

  test("no token: 401 with a bare Bearer challenge (RFC 6750 §3.1)", async () => {
    const r = await get("/tokens/x");
    assert.equal(r.status, 401);
    assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="portcullis"');
  });

  test("key rotation at the provider is picked up without a restart", async () => {
    // Unknown kids just refetched the JWKS; a new key is looked for once the cooldown (1 s here) is over.
    await new Promise((r) => setTimeout(r, 1100));
    await op.rotateKeys();
    const token = await op.jwtAccessToken();
    const r = await get("/tokens/x", bearer(token));
    assert.equal(r.status, 200, r.text);
  });

  test("a flood of unknown kids costs at most one JWKS fetch per cooldown", async () => {
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s cooldown of the rotation fetch
    const fetches = op.jwksFetches();
    const token = await op.jwtAccessToken();
    const [h, p, s] = token.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const forged = Buffer.from(JSON.stringify({ ...header, kid: `unknown-${i}` })).toString("base64url");
        return get("/tokens/x", bearer(`${forged}.${p}.${s}`));
      }),
    );
    assert.ok(results.every((r) => r.status === 401));
    assert.ok(op.jwksFetches() - fetches <= 1, `${op.jwksFetches() - fetches} fetches`);
  });

  test("provider down: known keys keep working, an unknown kid is 503 IDP_UNAVAILABLE, not 401", async () => {
    const token = await op.jwtAccessToken();
    await new Promise((r) => setTimeout(r, 1100));
    op.setDown(true);
    try {
      assert.equal((await get("/tokens/x", bearer(token))).status, 200);
      const [h, p, s] = token.split(".");
      const header = JSON.parse(Buffer.from(h, "base64url").toString());
      const forged = Buffer.from(JSON.stringify({ ...header, kid: "rotated-away" })).toString("base64url");
      const r = await get("/tokens/x", bearer(`${forged}.${p}.${s}`));
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json().code, "IDP_UNAVAILABLE");
      assert.equal(r.headers.get("retry-after"), "5");
    } finally {
      op.setDown(false);
    }
  });
});

describe("opaque tokens through introspection (RFC 7662)", () => {
  test("an active opaque token passes; a made-up one is 401; introspection down is 503", async () => {
    const token = await op.opaqueAccessToken({ scope: "write" });
    const r = await get("/tokens/o", bearer(token));
    assert.equal(r.status, 200, r.text);
    assert.equal(lastSeen().headers["x-auth-method"], "introspection");
    assert.equal(lastSeen().headers["x-scope"], "write");
    const bad = await get("/tokens/o", bearer("not-a-real-token-0123456789"));
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    const fresh = await op.opaqueAccessToken();
    op.setDown(true);
    try {
      const down = await get("/tokens/o", bearer(fresh));
      assert.equal(down.status, 503);
      assert.equal(down.json().code, "IDP_UNAVAILABLE");
      assert.equal((await get("/tokens/o", bearer(token))).status, 200, "a cached result still serves");
    } finally {
      op.setDown(false);
    }
  });
});

describe("keys across startup and reloads", () => {
  test("ready only after the keys were fetched; a reload keeps the key set (no refetch)", async () => {
    const ready = await fetch(`${gw.adminUrl}/readyz`);
    assert.equal(ready.status, 200);
    const token = await op.jwtAccessToken();
    const fetches = op.jwksFetches();
    const outcome = await gw.gateway.reload();
    assert.equal(outcome.ok, true);
    assert.equal((await get("/tokens/x", bearer(token))).status, 200);
    assert.equal(op.jwksFetches(), fetches);
  });

  test("a provider unreachable at startup: the gateway still starts, tokens get 503 not 401", async () => {
    const port = await closedPort();
    const other = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "api", targets: [{ url: upstream.url }] }],
        routes: [
          {
            name: "r",
            match: { path: "/" },
            upstream: "api",
            policies: {
              authenticate: {
                methods: [
                  {
                    jwt: {
                      issuer: op.issuer,
                      jwksUri: `http://127.0.0.1:${port}/jwks`,
                      algorithms: ["RS256"],
                    },
                  },
                ],
              },
            },
          },
        ],
      }),
    );
    try {
      assert.equal((await fetch(`${other.adminUrl}/readyz`)).status, 200);
      const r = await fetch(`${other.url}/x`, { headers: bearer(await op.jwtAccessToken()) });
      assert.equal(r.status, 503);
      assert.ok(other.logs().some((l) => String(l.message).includes("warm-up failed")));
    } finally {
      await other.close();
    }
  });
});

test("the access log names the consumer and the method, never the credential", () => {
  const line = gw.logs().find((l) => (l.user as { name?: string } | undefined)?.name === "alice");
  assert.ok(line, "an access line with user.name alice");
  assert.equal((line.user as { id: string }).id, "c-1");
  assert.equal((line.portcullis as { auth_method: string }).auth_method, "apiKey");
});

test("nothing secret reaches the logs", async () => {
  const text = gw.logText();
  assert.ok(text.length > 0);
  for (const secret of [API_KEY, PASSWORD, op.clientSecret, CLIENT_SECRET_MARK, "Bearer ey"]) {
    assert.equal(text.includes(secret), false, `log contains ${secret.slice(0, 8)}…`);
  }
});
