// JWT access tokens (RFC 9068) verified with the issuer's JWKS. The key set and the verified-token cache
// are shared by every route and plan with the same settings, so a reload keeps fetched keys.
import { readFileSync } from "node:fs";
import { JwtVerifier } from "../../../identity/jwt-verifier.ts";
import { KeySet } from "../../../identity/key-set.ts";
import type { Closable, PolicyServices } from "../../../pipeline/types.ts";
import type { AuthMethod, Outcome } from "../method.ts";
import type { JwtOptions } from "../schema.ts";
import { bearerToken, claimsOutcome, hideAuthorization, rejection } from "./bearer.ts";

/** The verified-token cache of one verifier configuration; its key set is shared separately. */
class SharedVerifier implements Closable {
  readonly verifier: JwtVerifier;
  constructor(verifier: JwtVerifier) {
    this.verifier = verifier;
  }
  close(): void {}
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
  // One key set per provider (routes with other audiences or algorithms share its fetches and timers),
  // one verifier per verification settings.
  const keys = services.shared(
    keyId,
    () =>
      new KeySet({
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
      }),
  );
  services.warmUp(`jwks ${options.issuer}`, () => keys.start());
  const { verifier } = services.shared(verifierId, () => {
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
    return new SharedVerifier(verifier);
  });
  const done = (r: Awaited<ReturnType<JwtVerifier["verify"]>>): Outcome =>
    r.ok ? claimsOutcome("jwt", options.issuer, r.claims, options, services) : rejection(r);
  return {
    name: "jwt",
    header: "authorization",
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
