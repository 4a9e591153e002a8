import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BasicResult } from "../pipeline/types.ts";
import { Consumers } from "./directory.ts";
import { generateApiKey, hashApiKey, hashPassword, parsePasswordHash } from "./hash.ts";

const nameOf = (r: BasicResult) => (typeof r === "object" ? r.name : r);

describe("consumers", () => {
  test("API keys are found by their SHA-256; the key itself is never stored", () => {
    const key = generateApiKey();
    assert.match(key, /^pk_[A-Za-z0-9_-]{43}$/);
    const { consumers, issues } = Consumers.compile([
      { name: "a", credentials: { apiKeys: [hashApiKey(key)] } },
    ]);
    assert.deepEqual(issues, []);
    assert.equal(consumers.byApiKey(key)?.name, "a");
    assert.equal(consumers.byApiKey(`${key}x`), undefined);
    assert.equal(consumers.byApiKey(hashApiKey(key)), undefined, "the hash is not a key");
  });

  test("Basic passwords verify with scrypt, then from the cache; a changed hash stops matching", async () => {
    const hash = await hashPassword("s3cret", 10);
    assert.ok(parsePasswordHash(hash));
    const { consumers } = Consumers.compile([
      { name: "b", credentials: { basic: { username: "bob", password: hash } } },
    ]);
    assert.equal(nameOf(await consumers.verifyBasic("bob", "s3cret")), "b");
    const cached = consumers.verifyBasic("bob", "s3cret");
    assert.ok(!(cached instanceof Promise), "a verified pair is answered synchronously");
    assert.equal(await consumers.verifyBasic("bob", "wrong"), undefined);
    assert.equal(consumers.verifyBasic("nobody", "s3cret"), undefined);
    const other = await hashPassword("s3cret", 10);
    const { consumers: next } = Consumers.compile([
      { name: "b", credentials: { basic: { username: "bob", password: other } } },
    ]);
    const again = next.verifyBasic("bob", "s3cret");
    assert.ok(again instanceof Promise, "a new hash is verified again, not served from the old entry");
    assert.equal(nameOf(await again), "b");
  });

  test("a flood of wrong passwords is bounded: beyond 2 running and 64 waiting, checks are refused as busy", async () => {
    const hash = await hashPassword("right", 12);
    const { consumers } = Consumers.compile([
      { name: "b", credentials: { basic: { username: "u", password: hash } } },
    ]);
    const results = Array.from({ length: 100 }, (_, i) => consumers.verifyBasic("u", `guess-${i}`));
    const busy = results.filter((r) => r === "busy").length;
    assert.equal(busy, 100 - 2 - 64);
    const settled = await Promise.all(results);
    assert.ok(settled.every((r) => r === undefined || r === "busy"));
    assert.equal(consumers.verifyBasic("u", "guess-0"), undefined, "a refused pair is remembered: no scrypt");
    assert.equal(nameOf(await consumers.verifyBasic("u", "right")), "b", "slots are given back");
  });

  test("clashes are reported with the path of the second claim", () => {
    const h = hashApiKey("k");
    const { issues } = Consumers.compile([
      {
        name: "a",
        credentials: { apiKeys: [h], jwt: [{ issuer: "i", subject: "s" }], mtls: [{ san: "x" }] },
      },
      {
        name: "a",
        credentials: { apiKeys: [h], jwt: [{ issuer: "i", subject: "s" }], mtls: [{ san: "x" }] },
      },
    ]);
    assert.deepEqual(
      issues.map((i) => i.path),
      [
        "/consumers/1/name",
        "/consumers/1/credentials/apiKeys/0",
        "/consumers/1/credentials/jwt/0",
        "/consumers/1/credentials/mtls/0",
      ],
    );
  });

  test("an scrypt cost outside 2^10..2^20 is refused", () => {
    const bad = "$scrypt$ln=22,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const { issues } = Consumers.compile([
      { name: "c", credentials: { basic: { username: "c", password: bad } } },
    ]);
    assert.equal(issues[0]?.path, "/consumers/0/credentials/basic/password");
  });

  test("certificates map by subject first, then by any SAN", () => {
    const { consumers } = Consumers.compile([
      { name: "by-subject", credentials: { mtls: [{ subject: "CN=a,O=x" }] } },
      { name: "by-san", credentials: { mtls: [{ san: "spiffe://x/b" }] } },
    ]);
    const cert = { authorized: true, subject: "CN=a,O=x", sans: ["spiffe://x/b"], fingerprint256: "" };
    assert.equal(consumers.byCertificate(cert)?.name, "by-subject");
    assert.equal(consumers.byCertificate({ ...cert, subject: "CN=z" })?.name, "by-san");
    assert.equal(consumers.byCertificate({ ...cert, subject: "CN=z", sans: [] }), undefined);
  });
});
