// JWT access tokens (RFC 9068) verified with the issuer's JWKS. The key set and the verified-token cache
// are shared by every route and plan with the same settings, so a reload keeps fetched keys.
import { readFileSync } from "node:fs";
import { JwtVerifier } from "../../../identity/jwt-verifier.ts";
import { KeySet } from "../../../identity/key-set.ts";
import type { PolicyServices } from "../../../pipeline/types.ts";
import type { AuthMethod } from "../method.ts";
import type { JwtOptions } from "../schema.ts";
import { bearerMethod } from "./bearer.ts";

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
  const verifier = services.shared(
    verifierId,
    () =>
      new JwtVerifier(
        {
          issuer: options.issuer,
          audiences: options.audiences,
          algorithms: options.algorithms,
          types: options.types ?? ["at+jwt"],
          clockSkewSec: options.clockSkewSec ?? 30,
          requiredClaims: options.requiredClaims,
        },
        keys,
      ),
  );
  const issuer = () => options.issuer;
  return bearerMethod("jwt", realm, options, services, issuer, (token) => verifier.verify(token));
}
