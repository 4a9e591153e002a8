// The plain route behind JWT authentication: an RS256 access token (typ at+jwt) checked against a JWKS
// served by this process on loopback, with issuer, audience and algorithm checks, and the identity and
// a claim sent upstream. Every request carries the same token, as a client does for the token's life.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Config } from "../../src/config/schema.ts";
import { plain } from "./plain.ts";
import type { Scenario } from "./types.ts";

const ISSUER = "https://idp.bench.test";
const AUDIENCE = "https://api.bench.test";

let jwks: Promise<{ uri: string; token: string }> | undefined;

/** One key, one JWKS server and one token for the whole benchmark run. */
function jwksServer(): Promise<{ uri: string; token: string }> {
  jwks ??= (async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const body = JSON.stringify({
      keys: [{ ...(await exportJWK(publicKey)), kid: "bench-1", alg: "RS256", use: "sig" }],
    });
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    server.unref();
    const token = await new SignJWT({
      scope: "read write",
      client_id: "bench-client",
      email: "bench@example.com",
    })
      .setProtectedHeader({ alg: "RS256", kid: "bench-1", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("bench-client")
      .setIssuedAt()
      .setExpirationTime("6h")
      .sign(privateKey);
    return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, token };
  })();
  return jwks;
}

export const jwt: Scenario = {
  name: "jwt",
  description:
    "plain, plus JWT authentication (RS256, JWKS, iss/aud/typ checks) with identity headers upstream",
  setup: async (ctx) => {
    const { config } = await plain.setup(ctx);
    const { uri, token } = await jwksServer();
    const authenticate: NonNullable<Config["policies"]>["authenticate"] = {
      methods: [{ jwt: { issuer: ISSUER, jwksUri: uri, audiences: [AUDIENCE], algorithms: ["RS256"] } }],
      upstream: { claims: { email: "x-user-email" } },
    };
    return {
      config: {
        ...config,
        routes: config.routes.map((r) => ({
          ...r,
          policies: { authenticate },
        })),
      },
      request: { headers: { authorization: `Bearer ${token}` } },
    };
  },
};

/** The jwt scenario's requests (same Authorization header) on the plain route: the cost of the policy alone. */
export const jwtOff: Scenario = {
  name: "jwt-off",
  description:
    "plain, with the jwt scenario's Authorization header but no policy (the jwt scenario's baseline)",
  setup: async (ctx) => {
    const { config } = await plain.setup(ctx);
    const { token } = await jwksServer();
    return { config, request: { headers: { authorization: `Bearer ${token}` } } };
  },
};
