// What the authenticate policy costs per request, apart from the network: the hook run on a request view
// for each method (JWT on a verified-token cache hit and on a miss, API key, Basic once verified). The
// in-situ comparison is `SCENARIOS=plain,jwt-off,jwt npm run bench`; on this noisy machine its ratio moves
// by ±30% between rounds, so this micro-benchmark gives the number the ratio cannot resolve.
// Run: node_modules/.bin/node bench/authenticate.bench.ts [--iterations 200000]
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { Consumers } from "../src/consumers/directory.ts";
import { hashApiKey, hashPassword } from "../src/consumers/hash.ts";
import type { PolicyHooks } from "../src/pipeline/types.ts";
import { authenticatePolicy } from "../src/policies/authenticate/index.ts";
import type { AuthenticateOptions } from "../src/policies/authenticate/schema.ts";
import { fakeRequest, fakeServices } from "../src/policies/testing.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "200000" } } });
const N = Number(values.iterations);

const { publicKey, privateKey } = await generateKeyPair("RS256");
const jwks = JSON.stringify({
  keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }],
});
const server = http.createServer((_req, res) => res.end(jwks));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
const sign = (jti: string) =>
  new SignJWT({ scope: "read write", email: "bench@example.com", jti })
    .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "at+jwt" })
    .setIssuer("https://idp.bench.test")
    .setAudience("https://api.bench.test")
    .setSubject("bench-client")
    .setExpirationTime("1h")
    .sign(privateKey);

const KEY = "pk_bench_0123456789abcdefghijklmnopqrstuvwxyz";
const PASSWORD = "bench password";
const { consumers } = Consumers.compile([
  {
    name: "bench",
    credentials: {
      apiKeys: [hashApiKey(KEY)],
      basic: { username: "bench", password: await hashPassword(PASSWORD, 10) },
    },
  },
]);
const services = fakeServices({ consumers });

async function hooks(options: AuthenticateOptions): Promise<PolicyHooks> {
  const h = authenticatePolicy.create(options, { path: "/bench", services });
  for (const w of services.warmUps.splice(0)) await w.task();
  return h;
}

const jwt = await hooks({
  methods: [
    {
      jwt: {
        issuer: "https://idp.bench.test",
        jwksUri,
        audiences: ["https://api.bench.test"],
        algorithms: ["RS256"],
      },
    },
  ],
  upstream: { claims: { email: "x-user-email" } },
});
const keys = await hooks({ methods: [{ apiKey: {} }, { basic: {} }] });

const base = { host: "api.bench.test", "user-agent": "wrk", accept: "*/*" };
async function measure(name: string, h: PolicyHooks, headers: Record<string, string>, n = N): Promise<void> {
  const first = await h.onRequest?.(fakeRequest({ headers }));
  if (first !== undefined) throw new Error(`${name}: refused ${JSON.stringify(first)}`);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const out = h.onRequest?.(fakeRequest({ headers }));
    if (out instanceof Promise) await out;
  }
  const perOp = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(44)} ${(perOp / 1000).toFixed(2).padStart(8)} µs/request`);
}

const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) fakeRequest({ headers: base });
console.log(
  `${"baseline (building the request view)".padEnd(44)} ${(Number(process.hrtime.bigint() - t0) / N / 1000).toFixed(2).padStart(8)} µs/request`,
);

const token = await sign("same");
await measure("jwt, verified-token cache hit", jwt, { ...base, authorization: `Bearer ${token}` });
const fresh = await Promise.all(Array.from({ length: 2000 }, (_, i) => sign(`t${i}`)));
const t1 = process.hrtime.bigint();
for (const t of fresh)
  await jwt.onRequest?.(fakeRequest({ headers: { ...base, authorization: `Bearer ${t}` } }));
const missUs = Number(process.hrtime.bigint() - t1) / fresh.length / 1000;
console.log(
  `${"jwt, new token (RS256 signature check)".padEnd(44)} ${missUs.toFixed(2).padStart(8)} µs/request`,
);
await measure("apiKey (SHA-256 + map lookup)", keys, { ...base, "x-api-key": KEY });
const basic = `Basic ${Buffer.from(`bench:${PASSWORD}`).toString("base64")}`;
await measure("basic, pair already verified (HMAC + LRU)", keys, { ...base, authorization: basic });
server.close();
