import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { attackTokens, craftedValidToken, validClaims } from "../../test/helpers/jwt-attacks.ts";
import { startOidcProvider, type TestOidcProvider } from "../../test/helpers/oidc.ts";
import { JwtVerifier, type JwtVerifierSettings, type VerifyResult } from "./jwt-verifier.ts";
import { KeySet } from "./key-set.ts";

const AT_TYPES = ["at+jwt", "application/at+jwt"];

function setup(op: TestOidcProvider, settings: Partial<JwtVerifierSettings> = {}, cooldownMs = 200) {
  const keys = new KeySet({
    issuer: op.issuer,
    ca: op.ca,
    cooldownMs,
    refreshMs: 60_000,
    fetchTimeoutMs: 1_000,
  });
  const verifier = new JwtVerifier(
    {
      issuer: op.issuer,
      audiences: [op.resource],
      algorithms: ["RS256", "PS256", "ES256", "ES384"],
      types: AT_TYPES,
      clockSkewSec: 30,
      ...settings,
    },
    keys,
  );
  return { keys, verifier };
}

/** The description must be a fixed phrase: nothing from the token, nothing RFC 6750 forbids. */
function assertSafeDescription(description: string, token: string) {
  assert.doesNotMatch(description, /["\\]/);
  assert.ok(description.length < 80, description);
  for (const part of token.split(".")) {
    if (part.length >= 8)
      assert.ok(!description.includes(part.slice(0, 8)), `${description} leaks token material`);
  }
}

async function reject401(verifier: JwtVerifier, token: string): Promise<string> {
  const r = await verifier.verify(token);
  assert.equal(r.ok, false, "token accepted");
  assert.equal((r as { status: number }).status, 401, JSON.stringify(r));
  assert.equal((r as { error?: string }).error, "invalid_token");
  assertSafeDescription(r.ok ? "" : r.description, token);
  return r.ok ? "" : r.description;
}

describe("JwtVerifier", () => {
  let rsa: TestOidcProvider;
  let ec: TestOidcProvider;
  const keySets: KeySet[] = [];
  const make = (op: TestOidcProvider, settings?: Partial<JwtVerifierSettings>, cooldownMs?: number) => {
    const s = setup(op, settings, cooldownMs);
    keySets.push(s.keys);
    return s;
  };

  before(async () => {
    [rsa, ec] = await Promise.all([startOidcProvider(), startOidcProvider({ alg: "ES256" })]);
  });
  after(async () => {
    for (const k of keySets) k.close();
    await Promise.all([rsa.close(), ec.close()]);
  });

  it("refuses settings that would let the token choose a symmetric or no algorithm", () => {
    const keys = new KeySet({
      jwksUri: "https://idp.example/jwks",
      cooldownMs: 1,
      refreshMs: 1,
      fetchTimeoutMs: 1,
    });
    const base = { issuer: "https://idp.example", types: [], clockSkewSec: 0 };
    for (const alg of ["none", "HS256", "hs256", "RS1"]) {
      assert.throws(() => new JwtVerifier({ ...base, algorithms: [alg] }, keys), /not accepted/);
    }
    assert.throws(() => new JwtVerifier({ ...base, algorithms: [] }, keys), /at least one/);
  });

  for (const which of ["RS256", "ES256"] as const) {
    it(`verifies a real ${which} client-credentials access token, then answers from the cache synchronously`, async () => {
      const op = which === "RS256" ? rsa : ec;
      const { keys, verifier } = make(op);
      await keys.start();
      const token = await op.jwtAccessToken({ scope: "read write" });
      const first = verifier.verify(token);
      assert.ok(first instanceof Promise);
      const r = await first;
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.claims.scope, "read write");
      assert.equal(r.claims.client_id, op.clientId);
      assert.equal(r.header.alg, which);
      assert.equal(r.header.typ, "at+jwt");
      const second = verifier.verify(token);
      assert.ok(!(second instanceof Promise), "cache hit must be synchronous");
      assert.ok((second as VerifyResult).ok);
      assert.equal(verifier.cached, 1);
    });

    it(`refuses every attack token with 401 (${which} provider)`, async () => {
      const op = which === "RS256" ? rsa : ec;
      const { keys, verifier } = make(op);
      await keys.start();
      const control = await verifier.verify(await craftedValidToken(op));
      assert.ok(control.ok, `the crafted baseline must pass: ${JSON.stringify(control)}`);
      const attacks = await attackTokens(op);
      assert.ok(attacks.length >= 40);
      const seen: Record<string, string> = {};
      for (const { name, token } of attacks) {
        seen[name] = await reject401(verifier, token).catch((err: Error) => {
          throw new Error(`${name}: ${err.message}`);
        });
        // Twice: a refusal must never be cached as a success.
        await reject401(verifier, token);
      }
      assert.equal(seen["alg-none"], "algorithm not allowed");
      assert.equal(seen["embedded-jwk-provider-signed"], "embedded key headers are not accepted");
      assert.equal(seen["crit-unknown-provider-signed"], "unsupported critical header");
      assert.equal(seen.expired, "token expired");
      assert.equal(seen["not-yet-valid"], "token not yet valid");
      assert.equal(seen["wrong-issuer"], "wrong issuer");
      assert.equal(seen["wrong-audience"], "wrong audience");
      assert.equal(seen["id-token-as-access-token"], "wrong token type");
      assert.equal(seen["no-exp"], "missing claim exp");
      assert.equal(seen["payload-tampered"], "signature invalid");
      assert.equal(seen["wrong-key-provider-kid"], "signature invalid");
      if (which === "ES256") {
        assert.equal(seen["ecdsa-zero-signature-raw"], "signature invalid");
        assert.equal(seen["ecdsa-zero-signature-der"], "signature invalid");
      }
    });
  }

  it("honours the clock skew for exp and nbf", async () => {
    const { keys, verifier } = make(rsa, { clockSkewSec: 60 });
    await keys.start();
    const now = Math.floor(Date.now() / 1000);
    assert.ok((await verifier.verify(await rsa.signWithProviderKey(validClaims(rsa, { exp: now - 30 })))).ok);
    assert.ok((await verifier.verify(await rsa.signWithProviderKey(validClaims(rsa, { nbf: now + 30 })))).ok);
    await reject401(verifier, await rsa.signWithProviderKey(validClaims(rsa, { exp: now - 90 })));
  });

  it("re-checks exp on a cache hit", async () => {
    const { keys, verifier } = make(rsa, { clockSkewSec: 0 });
    await keys.start();
    // exp has one-second resolution: pick the next second boundary that leaves time to verify first.
    const exp = Math.floor(Date.now() / 1000) + (Date.now() % 1000 > 700 ? 2 : 1);
    const token = await rsa.signWithProviderKey(validClaims(rsa, { exp }));
    assert.ok((await verifier.verify(token)).ok);
    await sleep(exp * 1000 - Date.now() + 10);
    const r = verifier.verify(token);
    assert.ok(!(r instanceof Promise) || !(await r).ok);
    const settled = await r;
    assert.equal(settled.ok, false);
    assert.equal((settled as { description: string }).description, "token expired");
  });

  it("picks up a key rotation at the provider without restart, and drops tokens of the removed key", async () => {
    const op = await startOidcProvider();
    try {
      const { keys, verifier } = make(op, {}, 50);
      await keys.start();
      const oldToken = await op.jwtAccessToken();
      assert.ok((await verifier.verify(oldToken)).ok);
      await op.rotateKeys();
      await sleep(60);
      const newToken = await op.jwtAccessToken();
      const r = await verifier.verify(newToken);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(keys.fetches, 2);
      assert.equal(await reject401(verifier, oldToken), "unknown signing key");
    } finally {
      await op.close();
    }
  });

  it("keeps verifying with cached keys while the provider is down; an unknown kid is then 503", async () => {
    const { keys, verifier } = make(rsa, {}, 50);
    await keys.start();
    const token = await craftedValidToken(rsa);
    rsa.setDown(true, "reset");
    try {
      await sleep(60);
      assert.ok((await verifier.verify(token)).ok, "known key, uncached token");
      const unknown = await rsa.signWithProviderKey(validClaims(rsa), { kid: randomUUID() });
      const r = await verifier.verify(unknown);
      assert.deepEqual(r, { ok: false, status: 503, description: "identity provider keys unavailable" });
    } finally {
      rsa.setDown(false);
    }
  });

  it("answers 503 when no keys were ever fetched", async () => {
    rsa.setDown(true);
    try {
      const { keys, verifier } = make(rsa);
      await assert.rejects(keys.start());
      const r = await verifier.verify(await craftedValidToken(rsa));
      assert.equal(r.ok, false);
      assert.equal((r as { status: number }).status, 503);
    } finally {
      rsa.setDown(false);
    }
  });

  it("accepts types in either spelling and can be told not to check typ", async () => {
    const { keys, verifier } = make(rsa, { types: ["application/at+jwt"] });
    await keys.start();
    assert.ok((await verifier.verify(await rsa.signWithProviderKey(validClaims(rsa), { typ: "AT+JWT" }))).ok);
    const loose = make(rsa, { types: [] });
    await loose.keys.start();
    assert.ok(
      (await loose.verifier.verify(await rsa.signWithProviderKey(validClaims(rsa), { typ: "JWT" }))).ok,
    );
  });

  it("bounds the cache and keeps entries no longer than cacheMaxMs", async () => {
    const { keys, verifier } = make(rsa, { cacheSize: 3, cacheMaxMs: 100 });
    await keys.start();
    for (let i = 0; i < 5; i++) assert.ok((await verifier.verify(await craftedValidToken(rsa))).ok);
    assert.equal(verifier.cached, 3);
    const token = await craftedValidToken(rsa);
    await verifier.verify(token);
    assert.ok(!(verifier.verify(token) instanceof Promise));
    await sleep(120);
    const again = verifier.verify(token);
    assert.ok(again instanceof Promise, "expired cache entry must be re-verified");
    assert.ok((await again).ok);
  });

  it("is fast on a cache hit", async () => {
    const { keys, verifier } = make(rsa);
    await keys.start();
    const token = await rsa.jwtAccessToken();
    await verifier.verify(token);
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) verifier.verify(token);
    const perCallUs = Number(process.hrtime.bigint() - t0) / n / 1000;
    assert.ok(perCallUs < 5, `cache hit took ${perCallUs.toFixed(2)} µs`);
  });
});
