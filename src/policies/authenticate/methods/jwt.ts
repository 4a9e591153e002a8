// JWT access tokens (RFC 9068) verified with the issuer's JWKS. The key set and the verified-token cache
// are shared by every route and plan with the same settings, so a reload keeps fetched keys.
import { readFileSync } from "node:fs";
import { JwtVerifier } from "../../../identity/jwt-verifier.ts";
import { KeySet } from "../../../identity/key-set.ts";
import type { Closable, PolicyServices } from "../../../pipeline/types.ts";
import type { AuthMethod, Outcome } from "../method.ts";
import type { JwtOptions } from "../schema.ts";
import { bearerToken, claimsOutcome, hideAuthorization, rejection } from "./bearer.ts";

class SharedVerifier implements Closable {
  readonly keys: KeySet;
  readonly verifier: JwtVerifier;
  constructor(keys: KeySet, verifier: JwtVerifier) {
    this.keys = keys;
    this.verifier = verifier;
  }
  close(): void {
    this.keys.close();
  }
}

export function jwtMethod(options: JwtOptions, services: PolicyServices, realm: string): AuthMethod {
  const ca = options.ca === undefined ? undefined : readFileSync(options.ca, "utf8");
  const keyId = JSON.stringify([
    "jwks",
    options.issuer,
    options.jwksUri,
    options.cooldownMs,
    options.refreshMs,
    options.fetchTimeoutMs,
    options.ca,
  ]);
  const verifierId = JSON.stringify([
    keyId,
    options.audiences,
    options.algorithms,
    options.types,
    options.clockSkewSec,
    options.requiredClaims,
  ]);
  const { verifier, keys } = services.shared(verifierId, () => {
    const keys = new KeySet({
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      cooldownMs: options.cooldownMs ?? 30_000,
      refreshMs: options.refreshMs ?? 300_000,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 2_000,
      ca,
      onEvent: (e) =>
        services.log(e.kind === "fetch-failed" ? "warn" : "info", `jwks ${e.kind}`, {
          jwks: { issuer: options.issuer, ...e },
        }),
    });
    const verifier = new JwtVerifier(
      {
        issuer: options.issuer,
        audiences: options.audiences,
        algorithms: options.algorithms,
        types: options.types ?? ["at+jwt"],
        clockSkewSec: options.clockSkewSec ?? 30,
        requiredClaims: options.requiredClaims,
      },
      keys,
    );
    return new SharedVerifier(keys, verifier);
  });
  services.warmUp(`jwks ${options.issuer}`, () => keys.start());
  const done = (r: Awaited<ReturnType<JwtVerifier["verify"]>>): Outcome =>
    r.ok ? claimsOutcome("jwt", options.issuer, r.claims, options, services) : rejection(r);
  return {
    name: "jwt",
    scheme: "Bearer",
    challenge: `Bearer realm="${realm}"`,
    credential: bearerToken,
    check(token: string) {
      const r = verifier.verify(token);
      return r instanceof Promise ? r.then(done) : done(r);
    },
    hide: hideAuthorization(options.hideCredentials),
  };
}
