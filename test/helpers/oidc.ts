// A real OpenID provider (oidc-provider) on port 0 over HTTPS with a test CA, for tests of the
// identity code and of the authenticate policy. Two clients: one gets JWT access tokens (at+jwt),
// the other opaque ones for the same resource; both may introspect.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTHeaderParameters, type JWTPayload } from "jose";
// @ts-expect-error oidc-provider ships no type declarations (and @types/oidc-provider is not installed)
import { Provider } from "oidc-provider";
import { createPki } from "./certs.ts";

export interface OidcProviderOptions {
  /** Signing algorithm of the provider's keys and tokens. Default RS256. */
  alg?: "RS256" | "ES256";
  /** The resource indicator (and aud) of access tokens. Default https://api.portcullis.test/ */
  resource?: string;
  /** Scopes the resource server grants. Default "read write". */
  scopes?: string;
  /** Access-token lifetime in seconds. Default 300. */
  accessTokenTtlSec?: number;
}

export interface TokenRequest {
  scope?: string;
  resource?: string;
}

export interface TestOidcProvider {
  issuer: string;
  /** PEM of the CA that signed the provider's certificate. */
  ca: string;
  jwksUri: string;
  introspectionEndpoint: string;
  tokenEndpoint: string;
  /** The client that gets JWT access tokens; also allowed to introspect. */
  clientId: string;
  clientSecret: string;
  /** Default resource (audience) of access tokens. */
  resource: string;
  alg: "RS256" | "ES256";
  /** kid of the current signing key. */
  kid(): string;
  jwtAccessToken(opts?: TokenRequest): Promise<string>;
  opaqueAccessToken(opts?: TokenRequest): Promise<string>;
  /** Public JWK of the current signing key (what the JWKS serves). */
  publicJwk(): JWK;
  /**
   * Signs anything with the provider's current private key. The header defaults to the provider's
   * alg, kid and typ at+jwt; overrides are written as given (even alg), the signature is always made
   * with the key's own algorithm. No library checks in between, so crafted headers (crit, jwk) work.
   */
  signWithProviderKey(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>;
  /** Replaces the signing key: the new key is served at the same JWKS URL, the old one removed. */
  rotateKeys(): Promise<void>;
  /** Discovery, JWKS and introspection answer 503 ("503") or have their socket destroyed ("reset"). */
  setDown(down: boolean, how?: "503" | "reset"): void;
  jwksFetches(): number;
  introspections(): number;
  close(): Promise<void>;
}

const b64url = (s: string) => Buffer.from(s).toString("base64url");

/** Compact JWS signed with WebCrypto directly, whatever the header says. */
export async function signCompact(header: object, payload: object, privateKey: CryptoKey): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const params =
    privateKey.algorithm.name === "ECDSA"
      ? { name: "ECDSA", hash: "SHA-256" }
      : privateKey.algorithm.name === "RSA-PSS"
        ? { name: "RSA-PSS", saltLength: 32 }
        : { name: privateKey.algorithm.name };
  const sig = await crypto.subtle.sign(params, privateKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(sig).toString("base64url")}`;
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

interface SigningKey {
  kid: string;
  privateJwk: JWK;
  privateKey: CryptoKey;
}

async function newSigningKey(alg: "RS256" | "ES256"): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
  return { kid, privateJwk, privateKey };
}

/** oidc-provider's storage contract, in memory; one store per test provider survives key rotation. */
function memoryAdapter() {
  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const live = (key: string) => {
    const e = store.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return e.payload;
  };
  return class MemoryAdapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      store.set(`${this.name}:${id}`, {
        payload,
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity,
      });
    }
    async find(id: string) {
      return live(`${this.name}:${id}`);
    }
    async findByUid(uid: string) {
      for (const [k, e] of store) if (k.startsWith(`${this.name}:`) && e.payload.uid === uid) return live(k);
      return undefined;
    }
    async findByUserCode(code: string) {
      for (const [k, e] of store)
        if (k.startsWith(`${this.name}:`) && e.payload.userCode === code) return live(k);
      return undefined;
    }
    async consume(id: string) {
      const p = live(`${this.name}:${id}`);
      if (p) p.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(`${this.name}:${id}`);
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, e] of store) if (e.payload.grantId === grantId) store.delete(k);
    }
  };
}

const DOWNABLE = ["/.well-known/openid-configuration", "/jwks", "/token/introspection"];

export async function startOidcProvider(opts: OidcProviderOptions = {}): Promise<TestOidcProvider> {
  const alg = opts.alg ?? "RS256";
  const resource = opts.resource ?? "https://api.portcullis.test/";
  const scopes = opts.scopes ?? "read write";
  const ttl = opts.accessTokenTtlSec ?? 300;
  const clientId = "portcullis";
  const clientSecret = `secret-${randomUUID()}`;
  const opaqueClientId = "portcullis-opaque";
  const opaqueClientSecret = `secret-${randomUUID()}`;

  const pki = createPki();
  const leaf = pki.leaf("oidc", ["localhost"]);
  const sockets = new Set<Socket>();
  let handler: (req: unknown, res: unknown) => void = () => {};
  let down: false | "503" | "reset" = false;
  let jwksFetches = 0;
  let introspections = 0;

  const server = https.createServer(
    { cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) },
    (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/jwks") jwksFetches++;
      if (path === "/token/introspection") introspections++;
      if (down && DOWNABLE.includes(path)) {
        if (down === "reset") {
          req.socket.destroy();
          return;
        }
        res.writeHead(503, { "content-type": "text/plain", connection: "close" });
        res.end("down");
        return;
      }
      handler(req, res);
    },
  );
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://localhost:${port}`;

  let key = await newSigningKey(alg);
  const adapter = memoryAdapter();

  const makeProvider = (signing: SigningKey) => {
    const clientDefaults = { id_token_signed_response_alg: alg };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          grant_types: ["client_credentials"],
          redirect_uris: [],
          response_types: [],
          ...clientDefaults,
        },
        {
          client_id: opaqueClientId,
          client_secret: opaqueClientSecret,
          grant_types: ["client_credentials"],
          redirect_uris: [],
          response_types: [],
          ...clientDefaults,
        },
      ],
      clientDefaults,
      adapter,
      jwks: { keys: [signing.privateJwk] },
      cookies: { keys: ["portcullis-test-cookie-key"] },
      ttl: { ClientCredentials: ttl },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          allowedPolicy: async (ctx: { oidc: { client?: { clientId: string } } }) =>
            [clientId, opaqueClientId].includes(ctx.oidc.client?.clientId ?? ""),
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => resource,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: unknown, indicator: string, client: { clientId: string }) => ({
            scope: scopes,
            audience: indicator,
            accessTokenTTL: ttl,
            accessTokenFormat: client.clientId === opaqueClientId ? "opaque" : "jwt",
            jwt: { sign: { alg } },
          }),
        },
      },
    });
    return provider.callback() as (req: unknown, res: unknown) => void;
  };
  handler = makeProvider(key);

  const token = async (id: string, secret: string, req: TokenRequest = {}): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      resource: req.resource ?? resource,
    });
    if (req.scope) body.set("scope", req.scope);
    const { status, text } = await post(`${issuer}/token`, body, pki.ca.toString(), `${id}:${secret}`);
    if (status !== 200) throw new Error(`token endpoint answered ${status}: ${text}`);
    return (JSON.parse(text) as { access_token: string }).access_token;
  };

  return {
    issuer,
    ca: pki.ca.toString(),
    jwksUri: `${issuer}/jwks`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    tokenEndpoint: `${issuer}/token`,
    clientId,
    clientSecret,
    resource,
    alg,
    kid: () => key.kid,
    jwtAccessToken: (req) => token(clientId, clientSecret, req),
    opaqueAccessToken: (req) => token(opaqueClientId, opaqueClientSecret, req),
    publicJwk: () => publicPart(key.privateJwk),
    signWithProviderKey: (payload, header) =>
      signCompact({ alg, kid: key.kid, typ: "at+jwt", ...header }, payload, key.privateKey),
    async rotateKeys() {
      key = await newSigningKey(alg);
      handler = makeProvider(key);
    },
    setDown(value, how = "503") {
      down = value ? how : false;
    },
    jwksFetches: () => jwksFetches,
    introspections: () => introspections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A form POST with HTTP Basic client authentication (RFC 6749 §2.3.1 encoding). */
function post(
  url: string,
  body: URLSearchParams,
  ca: string,
  credentials: string,
): Promise<{ status: number; text: string }> {
  const [id, secret] = credentials.split(/:(.*)/s);
  const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: "POST",
        ca,
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body.toString());
  });
}
