// What the jwt and introspection methods share: the Bearer token, the claims → identity mapping, the
// consumer lookup by issuer and subject, and the RFC 6750 outcome for a rejected token.

import type { TokenRejection } from "../../../identity/result.ts";
import type { HeaderBag, PolicyServices, RequestView } from "../../../pipeline/types.ts";
import { identityOf } from "../identity.ts";
import { authorization, type Outcome } from "../method.ts";

// JWS compact (3 parts) or JWE compact (5 parts): either is a JWT the jwt method must judge (and refuse
// if encrypted), not an opaque token for introspection.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?$/;

export function bearerToken(req: RequestView): string | undefined {
  return authorization(req, "Bearer");
}

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

export interface ClaimMapping {
  consumerClaim?: string;
  scopesClaim?: string;
  groupsClaim?: string;
  requireConsumer?: boolean;
}

export function claimsOutcome(
  method: string,
  issuer: string,
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
  services: PolicyServices,
): Outcome {
  const key = claims[mapping.consumerClaim ?? "sub"];
  const subject = typeof claims.sub === "string" ? claims.sub : typeof key === "string" ? key : "";
  const consumer = typeof key === "string" ? services.consumers.bySubject(issuer, key) : undefined;
  if (consumer === undefined && mapping.requireConsumer === true) {
    return {
      ok: false,
      status: 401,
      error: "invalid_token",
      description: "token subject is not a known consumer",
    };
  }
  const names = { scopes: mapping.scopesClaim, groups: mapping.groupsClaim ?? "groups" };
  return { ok: true, identity: identityOf(method, subject, consumer, claims, names) };
}

export function rejection(r: TokenRejection): Outcome {
  return r.status === 503
    ? { ok: false, status: 503, description: r.description }
    : { ok: false, status: 401, error: r.error, description: r.description };
}

export function hideAuthorization(hide: boolean | undefined): ((upstream: HeaderBag) => void) | undefined {
  return hide === true
    ? (upstream) => {
        delete upstream.authorization;
      }
    : undefined;
}
