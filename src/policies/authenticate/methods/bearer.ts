// What the jwt and introspection methods share: the Bearer token, the claims → identity mapping, the
// consumer lookup by issuer and subject, and the RFC 6750 outcome for a rejected token.

import type { TokenRejection } from "../../../identity/result.ts";
import type { HeaderBag, PolicyServices } from "../../../pipeline/types.ts";
import { type ClaimNames, identityOf } from "../identity.ts";
import { type AuthMethod, authorization, type Outcome } from "../method.ts";

// JWS compact (3 parts) or JWE compact (5 parts): either is a JWT the jwt method must judge (and refuse
// if encrypted), not an opaque token for introspection.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?$/;

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

export interface BearerOptions {
  consumerClaim?: string;
  scopesClaim?: string;
  groupsClaim?: string;
  requireConsumer?: boolean;
  hideCredentials?: boolean;
}

type Claims = Readonly<Record<string, unknown>>;
export type TokenResult = { ok: true; claims: Claims } | TokenRejection;

/**
 * A Bearer method around a token checker (JwtVerifier, Introspector). The checkers cache what they
 * verified and hand back the same frozen claims object on every hit, so the identity made from those
 * claims is kept with them: a cached token costs no consumer lookup or scope parsing either.
 */
export function bearerMethod(
  name: "jwt" | "introspection",
  realm: string,
  options: BearerOptions,
  services: PolicyServices,
  /** The issuer consumers are looked up under (credentials.jwt[].issuer). */
  issuerOf: (claims: Claims) => string,
  check: (token: string) => TokenResult | Promise<TokenResult>,
): AuthMethod {
  const consumerClaim = options.consumerClaim ?? "sub";
  const names: ClaimNames = { scopes: options.scopesClaim, groups: options.groupsClaim ?? "groups" };
  const outcomes = new WeakMap<Claims, Outcome>();
  const accepted = (claims: Claims): Outcome => {
    const key = claims[consumerClaim];
    const subject = typeof claims.sub === "string" ? claims.sub : typeof key === "string" ? key : "";
    const consumer =
      typeof key === "string" ? services.consumers.bySubject(issuerOf(claims), key) : undefined;
    if (consumer === undefined && options.requireConsumer === true) {
      return {
        ok: false,
        status: 401,
        error: "invalid_token",
        description: "token subject is not a known consumer",
      };
    }
    return { ok: true, identity: identityOf(name, subject, consumer, claims, names) };
  };
  const done = (r: TokenResult): Outcome => {
    if (!r.ok) return rejection(r);
    let out = outcomes.get(r.claims);
    if (out === undefined) {
      out = accepted(r.claims);
      outcomes.set(r.claims, out);
    }
    return out;
  };
  return {
    name,
    header: "authorization",
    scheme: "Bearer",
    challenge: `Bearer realm="${realm}"`,
    credential: (req) => authorization(req, "Bearer"),
    check(token: string) {
      const r = check(token);
      return r instanceof Promise ? r.then(done) : done(r);
    },
    hide: hideAuthorization(options.hideCredentials === true),
  };
}

function rejection(r: TokenRejection): Outcome {
  return r.status === 503
    ? { ok: false, status: 503, description: r.description }
    : { ok: false, status: 401, error: r.error, description: r.description };
}

export function hideAuthorization(hide: boolean): ((upstream: HeaderBag) => void) | undefined {
  return hide
    ? (upstream) => {
        delete upstream.authorization;
      }
    : undefined;
}
