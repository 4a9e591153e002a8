// Opaque tokens checked with the provider's introspection endpoint (RFC 7662); results are cached by
// the Introspector no longer than the token lives.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Introspector } from "../../../identity/introspector.ts";
import type { PolicyServices } from "../../../pipeline/types.ts";
import type { AuthMethod } from "../method.ts";
import type { IntrospectionOptions } from "../schema.ts";
import { bearerMethod } from "./bearer.ts";

export function introspectionMethod(
  options: IntrospectionOptions,
  services: PolicyServices,
  realm: string,
): AuthMethod {
  const ca = options.ca === undefined ? undefined : readFileSync(options.ca, "utf8");
  // The secret is part of the identity of the shared object but is never printed: hash it into the key.
  const id = JSON.stringify([
    "introspection",
    options.issuer,
    options.endpoint,
    options.clientId,
    options.authMethod,
    options.audiences,
    options.timeoutMs,
    options.cacheMaxMs,
    options.ca,
    secretTag(options.clientSecret),
  ]);
  const introspector = services.shared(
    id,
    () =>
      new Introspector({
        issuer: options.issuer,
        endpoint: options.endpoint,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        authMethod: options.authMethod,
        audiences: options.audiences,
        timeoutMs: options.timeoutMs ?? 2_000,
        cacheMaxMs: options.cacheMaxMs ?? 60_000,
        ca,
        onEvent: (e) =>
          services.log("warn", "token introspection failed", { introspection: { reason: e.reason } }),
      }),
  );
  services.warmUp(`introspection ${options.issuer ?? options.endpoint}`, () => introspector.start());
  const issuer = options.issuer ?? new URL(options.endpoint ?? "http://invalid").origin;
  const issuerOf = (claims: Readonly<Record<string, unknown>>) =>
    typeof claims.iss === "string" ? claims.iss : issuer;
  return bearerMethod("introspection", realm, options, services, issuerOf, (token) =>
    introspector.introspect(token),
  );
}

function secretTag(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}
