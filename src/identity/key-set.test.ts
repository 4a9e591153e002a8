import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createPki } from "../../test/helpers/certs.ts";
import { startOidcProvider, type TestOidcProvider } from "../../test/helpers/oidc.ts";
import { checkProviderUrl } from "./http.ts";
import { KeyLookupError, KeySet, type KeySetEvent, type KeySetOptions } from "./key-set.ts";

const base = { cooldownMs: 200, refreshMs: 60_000, fetchTimeoutMs: 1_000 };

describe("KeySet", () => {
  let op: TestOidcProvider;
  const sets: KeySet[] = [];
  const make = (opts: Partial<KeySetOptions>) => {
    const ks = new KeySet({ ...base, issuer: op.issuer, ca: op.ca, ...opts });
    sets.push(ks);
    return ks;
  };

  before(async () => {
    op = await startOidcProvider();
  });
  after(async () => {
    for (const ks of sets) ks.close();
    await op.close();
  });

  it("refuses plain http except to loopback hosts, and says so", () => {
    assert.throws(() => checkProviderUrl("http://idp.example.com/jwks", "jwksUri"), /loopback/);
    assert.throws(() => new KeySet({ ...base, jwksUri: "http://10.0.0.1/jwks" }), /only https/);
    for (const ok of [
      "http://127.0.0.1:1/jwks",
      "http://127.9.8.7/j",
      "http://[::1]:80/j",
      "http://localhost/j",
    ]) {
      assert.doesNotThrow(() => new KeySet({ ...base, jwksUri: ok }), ok);
    }
    assert.throws(() => new KeySet({ ...base, jwksUri: "ftp://127.0.0.1/j" }), /https/);
    assert.throws(() => new KeySet({ ...base }), /jwksUri or issuer/);
  });

  it("does nothing on construction", async () => {
    const before = op.jwksFetches();
    const ks = make({});
    await sleep(50);
    assert.equal(ks.fetches, 0);
    assert.equal(op.jwksFetches(), before);
    assert.equal(ks.metadata, undefined);
    assert.equal(ks.ready, false);
  });

  it("discovers jwks_uri and the introspection endpoint from the issuer", async () => {
    const events: KeySetEvent[] = [];
    const ks = make({ onEvent: (e) => events.push(e) });
    await ks.start();
    assert.equal(ks.metadata?.jwks_uri, op.jwksUri);
    assert.equal(ks.metadata?.introspection_endpoint, op.introspectionEndpoint);
    assert.equal(ks.fetches, 1);
    assert.deepEqual([...ks.kids], [op.kid()]);
    assert.deepEqual(events, [{ kind: "fetched", url: op.jwksUri, keys: 1 }]);
    const [key] = await ks.keysFor({ alg: op.alg, kid: op.kid() });
    assert.equal(key.type, "public");
  });

  it("refuses discovery metadata for a different issuer", async () => {
    const ks = make({ issuer: `${op.issuer}/` });
    await assert.rejects(ks.start(), /names a different issuer/);
  });

  it("fails start clearly on a 503, a reset connection, or an untrusted certificate", async () => {
    op.setDown(true, "503");
    try {
      await assert.rejects(make({ jwksUri: `${op.jwksUri}?access_key=hunter2` }).start(), (err: Error) => {
        assert.match(
          err.message,
          /cannot load signing keys: JWKS https:\/\/localhost:\d+\/jwks: answered HTTP 503$/,
        );
        assert.doesNotMatch(err.message, /hunter2/, "query strings may hold credentials");
        return true;
      });
      await assert.rejects(make({}).start(), /discovery document .*answered HTTP 503/);
      op.setDown(true, "reset");
      await assert.rejects(
        make({ jwksUri: op.jwksUri }).start(),
        /cannot load signing keys: JWKS .*unreachable/,
      );
    } finally {
      op.setDown(false);
    }
    const otherCa = createPki().ca.toString();
    await assert.rejects(
      make({ ca: otherCa }).start(),
      /unreachable \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|.*CERT)/,
    );
  });

  it("retries after a failed start once the cooldown has passed", async () => {
    op.setDown(true);
    const ks = make({ jwksUri: op.jwksUri });
    await assert.rejects(ks.start());
    op.setDown(false);
    // Inside the cooldown: no new fetch, and no keys → the provider's fault.
    await assert.rejects(ks.keysFor({ alg: op.alg, kid: op.kid() }), (e: KeyLookupError) => e.status === 503);
    assert.equal(ks.fetches, 1);
    await sleep(base.cooldownMs + 20);
    const keys = await ks.keysFor({ alg: op.alg, kid: op.kid() });
    assert.equal(keys.length, 1);
    assert.equal(ks.fetches, 2);
  });

  it("makes at most one fetch per cooldown for a flood of unknown kids", async () => {
    const ks = make({ jwksUri: op.jwksUri, cooldownMs: 300 });
    await ks.start();
    const flood = () =>
      Promise.allSettled(Array.from({ length: 200 }, () => ks.keysFor({ alg: op.alg, kid: randomUUID() })));
    const inCooldown = await flood();
    assert.equal(ks.fetches, 1, "no fetch inside the cooldown that follows start");
    assert.ok(
      inCooldown.every((r) => r.status === "rejected" && (r.reason as KeyLookupError).status === 401),
    );
    await sleep(320);
    const firstAfter = await flood();
    assert.equal(ks.fetches, 2, "200 concurrent unknown kids share one fetch");
    assert.ok(
      firstAfter.every((r) => r.status === "rejected" && (r.reason as KeyLookupError).status === 401),
    );
    await flood();
    assert.equal(ks.fetches, 2);
  });

  it("keeps known keys when the provider goes down; unknown kids are then the provider's fault", async () => {
    const ks = make({ jwksUri: op.jwksUri, cooldownMs: 50 });
    await ks.start();
    op.setDown(true);
    try {
      await sleep(60);
      const unknown = await ks.keysFor({ alg: op.alg, kid: randomUUID() }).catch((e: KeyLookupError) => e);
      assert.ok(unknown instanceof KeyLookupError);
      assert.equal(unknown.status, 503);
      const known = await ks.keysFor({ alg: op.alg, kid: op.kid() });
      assert.equal(known.length, 1);
    } finally {
      op.setDown(false);
    }
  });

  it("a known kid with the wrong algorithm is refused without a refetch", async () => {
    const ks = make({ jwksUri: op.jwksUri, cooldownMs: 0 });
    await ks.start();
    const e = await ks.keysFor({ alg: "ES256", kid: op.kid() }).catch((err: KeyLookupError) => err);
    assert.ok(e instanceof KeyLookupError);
    assert.equal(e.status, 401);
    assert.equal(ks.fetches, 1);
  });

  it("refreshes in the background: keeps keys on failure, picks up a rotation", async () => {
    const events: KeySetEvent[] = [];
    const ks = make({ jwksUri: op.jwksUri, refreshMs: 100, onEvent: (e) => events.push(e) });
    await ks.start();
    const oldKid = op.kid();
    op.setDown(true);
    await waitFor(() => events.some((e) => e.kind === "fetch-failed"));
    assert.deepEqual([...ks.kids], [oldKid]);
    const failed = events.find((e) => e.kind === "fetch-failed");
    assert.deepEqual(failed, {
      kind: "fetch-failed",
      reason: `JWKS ${op.jwksUri}: answered HTTP 503`,
      background: true,
    });
    op.setDown(false);
    const version = ks.version;
    await op.rotateKeys();
    await waitFor(() => ks.version !== version);
    assert.deepEqual([...ks.kids], [op.kid()]);
    assert.deepEqual(events.at(-1), {
      kind: "rotated",
      url: op.jwksUri,
      keys: 1,
      added: [op.kid()],
      removed: [oldKid],
    });
    ks.close();
    const fetches = ks.fetches;
    await sleep(250);
    assert.equal(ks.fetches, fetches, "no refresh after close");
  });
});

async function waitFor(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}
