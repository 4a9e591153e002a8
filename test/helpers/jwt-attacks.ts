// Forged and broken JWT access tokens against a test provider: every one must be refused with 401.
// Each is otherwise well-formed (right issuer, audience, typ and lifetime) so that it fails only for
// the reason its name gives; craftedValidToken proves that baseline passes.
import { createHmac, createPublicKey, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { signCompact, type TestOidcProvider } from "./oidc.ts";

export interface AttackToken {
  name: string;
  token: string;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const unsigned = (header: object, payload: object) =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
const hmac = (header: object, payload: object, secret: string | Buffer) => {
  const input = unsigned(header, payload);
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
};

/** Claims of a good access token from this provider, with overrides. */
export function validClaims(op: TestOidcProvider, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: op.issuer,
    sub: op.clientId,
    client_id: op.clientId,
    aud: op.resource,
    scope: "read write",
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  };
}

/** A token signed by the provider's key with the same header and claims the attacks start from. */
export function craftedValidToken(op: TestOidcProvider): Promise<string> {
  return op.signWithProviderKey(validClaims(op));
}

export async function attackTokens(op: TestOidcProvider): Promise<AttackToken[]> {
  const claims = validClaims(op);
  const now = Math.floor(Date.now() / 1000);
  const kid = op.kid();
  const alg = op.alg;
  const typ = "at+jwt";
  const attacker = await generateKeyPair(alg, { extractable: true });
  const attackerJwk = { ...(await exportJWK(attacker.publicKey)), alg, use: "sig", kid: "attacker" };
  const byAttacker = (header: object) => signCompact({ alg, typ, ...header }, claims, attacker.privateKey);
  const byProvider = (header: object, payload: JWTPayload = claims) =>
    op.signWithProviderKey(payload, header);
  const publicPem = createPublicKey({ key: op.publicJwk() as never, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
  const caDer = pemToDerBase64(op.ca);
  const real = await op.jwtAccessToken({ scope: "read" });
  const [realHeader, realPayload, realSig] = real.split(".");
  const tampered = b64url(
    JSON.stringify({
      ...(JSON.parse(Buffer.from(realPayload, "base64url").toString()) as object),
      scope: "read write admin",
    }),
  );
  const zeroRaw = b64url(Buffer.alloc(64));
  const zeroDer = b64url(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]));

  const list: Array<[string, string | Promise<string>]> = [
    ["alg-none", `${unsigned({ alg: "none", typ }, claims)}.`],
    ["alg-None", `${unsigned({ alg: "None", typ }, claims)}.`],
    ["alg-NONE", `${unsigned({ alg: "NONE", typ }, claims)}.`],
    ["alg-nOnE-with-kid", `${unsigned({ alg: "nOnE", typ, kid }, claims)}.`],
    ["alg-none-provider-signature", byProvider({ alg: "none" })],
    ["alg-missing", byProvider({ alg: undefined })],
    ["hs256-public-key-pem-as-secret", hmac({ alg: "HS256", typ, kid }, claims, publicPem)],
    ["hs256-public-key-pem-trimmed-as-secret", hmac({ alg: "HS256", typ, kid }, claims, publicPem.trim())],
    [
      "hs256-public-jwk-json-as-secret",
      hmac({ alg: "HS256", typ, kid }, claims, JSON.stringify(op.publicJwk())),
    ],
    ["ecdsa-zero-signature-raw", `${unsigned({ alg: "ES256", typ, kid }, claims)}.${zeroRaw}`],
    ["ecdsa-zero-signature-der", `${unsigned({ alg: "ES256", typ, kid }, claims)}.${zeroDer}`],
    [
      "ecdsa-zero-signature-es384",
      `${unsigned({ alg: "ES384", typ, kid }, claims)}.${b64url(Buffer.alloc(96))}`,
    ],
    [
      "kid-path-traversal-hs256-empty-key",
      hmac({ alg: "HS256", typ, kid: "../../../../../../dev/null" }, claims, ""),
    ],
    ["kid-path-traversal", byAttacker({ kid: "../../../../../../etc/passwd" })],
    [
      "kid-sql-injection-hs256",
      hmac({ alg: "HS256", typ, kid: "x' UNION SELECT 'pwned' -- " }, claims, "pwned"),
    ],
    ["kid-sql-injection", byAttacker({ kid: `${kid}' OR '1'='1` })],
    ["kid-command-injection", byAttacker({ kid: "key|/usr/bin/id" })],
    ["kid-control-characters", byAttacker({ kid: "a\r\nX-Injected: 1" })],
    ["kid-not-a-string", byAttacker({ kid: { $ne: null } })],
    ["embedded-jwk", byAttacker({ jwk: attackerJwk })],
    ["embedded-jwk-with-provider-kid", byAttacker({ kid, jwk: attackerJwk })],
    ["embedded-jwk-provider-signed", byProvider({ jwk: op.publicJwk() })],
    ["jku-attacker-url", byAttacker({ kid: "attacker", jku: "https://attacker.example/jwks.json" })],
    ["jku-provider-signed", byProvider({ jku: `${op.issuer}/jwks` })],
    ["x5u-attacker-url", byAttacker({ kid: "attacker", x5u: "https://attacker.example/cert.pem" })],
    ["x5c-attacker-chain", byAttacker({ x5c: [caDer] })],
    [
      "crit-unknown-provider-signed",
      byProvider({
        crit: ["urn:portcullis:test:must-understand"],
        "urn:portcullis:test:must-understand": true,
      }),
    ],
    ["crit-b64-false", byProvider({ crit: ["b64"], b64: false })],
    ["expired", byProvider({}, validClaims(op, { iat: now - 7200, exp: now - 3600 }))],
    ["not-yet-valid", byProvider({}, validClaims(op, { nbf: now + 3600 }))],
    ["issued-far-future-nbf-and-exp", byProvider({}, validClaims(op, { nbf: now + 7200, exp: now + 10800 }))],
    ["no-exp", byProvider({}, validClaims(op, { exp: undefined }))],
    ["wrong-issuer", byProvider({}, validClaims(op, { iss: "https://evil.example" }))],
    ["issuer-trailing-slash", byProvider({}, validClaims(op, { iss: `${op.issuer}/` }))],
    ["no-issuer", byProvider({}, validClaims(op, { iss: undefined }))],
    ["wrong-audience", byProvider({}, validClaims(op, { aud: "https://other-api.example/" }))],
    ["no-audience", byProvider({}, validClaims(op, { aud: undefined }))],
    [
      "id-token-as-access-token",
      byProvider(
        { typ: "JWT" },
        validClaims(op, { nonce: "n-0S6_WzA2Mj", auth_time: now, azp: op.clientId }),
      ),
    ],
    ["typ-missing", byProvider({ typ: undefined })],
    ["typ-jwt-uppercase", byProvider({ typ: "JWT" })],
    ["wrong-key-provider-kid", byAttacker({ kid })],
    ["unknown-kid", byAttacker({ kid: randomUUID() })],
    ["signature-stripped", `${realHeader}.${realPayload}.`],
    ["signature-truncated", `${realHeader}.${realPayload}.${realSig.slice(0, -8)}`],
    ["payload-tampered", `${realHeader}.${tampered}.${realSig}`],
    [
      "header-alg-swapped",
      `${b64url(JSON.stringify({ alg: alg === "RS256" ? "PS256" : "ES384", typ, kid }))}.${realPayload}.${realSig}`,
    ],
    ["jwe-shaped", `${realHeader}.${b64url("x")}.${b64url("y")}.${b64url("z")}.${b64url("t")}`],
    ["not-a-jwt", "not-a-jwt"],
  ];
  return Promise.all(list.map(async ([name, token]) => ({ name, token: await token })));
}

/** The CA certificate's DER, as an x5c entry: a real certificate that does not belong to the token. */
function pemToDerBase64(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return body;
}
