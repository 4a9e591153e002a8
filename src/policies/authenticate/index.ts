// Who the request is from. Several methods may be configured; the first whose kind of credential the
// request carries decides, so a bad token is refused instead of falling through to a weaker method.
// A provider outage is a 503 (IDP_UNAVAILABLE), never a 401: the client did nothing wrong.

import { problemReply } from "../../pipeline/problem-reply.ts";
import {
  type LocalReply,
  PolicyConfigError,
  type PolicyDefinition,
  type RequestView,
} from "../../pipeline/types.ts";
import type { AuthMethod, Outcome } from "./method.ts";
import { apiKeyMethod } from "./methods/api-key.ts";
import { basicMethod } from "./methods/basic.ts";
import { looksLikeJwt } from "./methods/bearer.ts";
import { introspectionMethod } from "./methods/introspection.ts";
import { jwtMethod } from "./methods/jwt.ts";
import { mtlsMethod } from "./methods/mtls.ts";
import { type AuthenticateOptions, authenticateSchema } from "./schema.ts";
import { compileIdentityHeaders, setIdentityHeaders, stripIdentityHeaders } from "./upstream-headers.ts";

export const authenticatePolicy: PolicyDefinition<AuthenticateOptions> = {
  name: "authenticate",
  phase: "authenticate",
  priority: 1000,
  schema: authenticateSchema,
  create(options, ctx) {
    const realm = options.realm ?? "portcullis";
    const seen = new Set<string>();
    const methods: AuthMethod[] = options.methods.map((m, i) => {
      const [kind] = Object.keys(m);
      const at = `${ctx.path}/methods/${i}/${kind}`;
      if (seen.has(kind) && kind !== "jwt") throw new PolicyConfigError(at, `${kind} is listed twice`);
      seen.add(kind);
      if ("apiKey" in m) return apiKeyMethod(m.apiKey, ctx.services);
      if ("basic" in m) return basicMethod(m.basic, ctx.services, realm);
      if ("jwt" in m) return jwtMethod(m.jwt, ctx.services, realm);
      if ("introspection" in m) {
        if ((m.introspection.issuer === undefined) === (m.introspection.endpoint === undefined)) {
          throw new PolicyConfigError(at, "give exactly one of issuer (discovery) or endpoint");
        }
        return introspectionMethod(m.introspection, ctx.services, realm);
      }
      return mtlsMethod(m.mtls, ctx.services);
    });
    const jwts = methods.filter((m) => m.name === "jwt");
    if (jwts.length > 1) {
      throw new PolicyConfigError(
        `${ctx.path}/methods`,
        "one jwt method per route: list several audiences instead",
      );
    }
    // With both bearer methods, JWS-shaped tokens go to jwt and the others to introspection.
    const split = jwts.length === 1 && seen.has("introspection");
    const headers = compileIdentityHeaders(options.upstream);
    const anonymous = options.anonymous === true;
    const challenges = [...new Set(methods.map((m) => m.challenge).filter((c) => c !== ""))];
    const credentialHeaders = [
      ...new Set(methods.flatMap((m) => (m.header === undefined ? [] : [m.header]))),
    ];
    // With a method that reads Authorization, an Authorization header none of them accepts (another
    // scheme, a tab instead of a space) is a credential the gateway cannot check: refused, not forwarded.
    const readsAuthorization = credentialHeaders.includes("authorization");

    const finish = (m: AuthMethod, req: RequestView, out: Outcome): LocalReply | undefined => {
      if (out.ok) {
        req.identity = out.identity;
        setIdentityHeaders(headers, req.upstreamHeaders, out.identity);
        // Credentials for the other methods were not checked: the upstream must not see them as if
        // they had been (an API key request with a forged bearer token alongside, say).
        for (const h of credentialHeaders) {
          if (h !== m.header && req.upstreamHeaders[h] !== undefined) delete req.upstreamHeaders[h];
        }
        m.hide?.(req.upstreamHeaders);
        return undefined;
      }
      if (out.status === 503) {
        const code = out.busy === true ? "CREDENTIALS_BUSY" : "IDP_UNAVAILABLE";
        return problemReply(code, out.description, { "retry-after": out.busy === true ? "1" : "5" });
      }
      return unauthenticated(challenges, m, out.description, "error" in out ? out.error : undefined);
    };

    return {
      onRequest(req) {
        stripIdentityHeaders(headers, req.upstreamHeaders);
        for (const m of methods) {
          const credential = m.credential(req);
          if (credential === undefined) continue;
          if (split && m.scheme === "Bearer" && looksLikeJwt(credential) !== (m.name === "jwt")) continue;
          const out = m.check(credential, req);
          return out instanceof Promise ? out.then((o) => finish(m, req, o)) : finish(m, req, out);
        }
        if (readsAuthorization && req.headers.authorization !== undefined) {
          return unauthenticated(challenges, undefined, "unsupported authorization scheme", undefined);
        }
        if (anonymous) return undefined;
        return unauthenticated(challenges, undefined, "no credentials", undefined);
      },
    };
  },
};

/**
 * 401 with one challenge per method. RFC 6750 §3.1: a request without a token gets the bare challenge;
 * a bad bearer token gets error="invalid_token" and a description on its own challenge.
 */
function unauthenticated(
  challenges: readonly string[],
  failed: AuthMethod | undefined,
  description: string,
  error: string | undefined,
): LocalReply {
  const values = challenges.map((c) =>
    failed !== undefined && c === failed.challenge && error !== undefined
      ? `${c}, error="${error}", error_description="${description}"`
      : c,
  );
  const reply = problemReply("UNAUTHENTICATED", description);
  return values.length === 0 ? reply : { ...reply, headers: { "www-authenticate": values } };
}
