import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const HeaderName = Type.String({ pattern: TOKEN_PATTERN });
const ClaimName = Type.String({ minLength: 1, maxLength: 128 });
const Ms = (what: string, def: number, min = 1) =>
  Type.Integer({ minimum: min, maximum: 86_400_000, description: `${what} (milliseconds, default ${def}).` });
const ProviderUrl = Type.String({
  pattern: "^https?://",
  description: "https, or http on a loopback address only.",
});

// Asymmetric only: a JWKS publishes public keys, and HMAC with a public key as the secret is an attack.
const Algorithm = Type.Union([
  Type.Literal("RS256"),
  Type.Literal("RS384"),
  Type.Literal("RS512"),
  Type.Literal("PS256"),
  Type.Literal("PS384"),
  Type.Literal("PS512"),
  Type.Literal("ES256"),
  Type.Literal("ES384"),
  Type.Literal("ES512"),
  Type.Literal("EdDSA"),
  Type.Literal("Ed25519"),
]);

const hide = Type.Optional(
  Type.Boolean({ description: "Remove the credential from the request sent upstream." }),
);
const claimsMapping = {
  consumerClaim: Type.Optional({
    ...ClaimName,
    description: "Claim mapped to a consumer's credentials.jwt subject (default sub).",
  }),
  scopesClaim: Type.Optional({
    ...ClaimName,
    description: "Claim holding scopes: a space-separated string or a list (default scope, then scp).",
  }),
  groupsClaim: Type.Optional({
    ...ClaimName,
    description: "Claim holding groups: a list or a space-separated string (default groups).",
  }),
  requireConsumer: Type.Optional(
    Type.Boolean({
      description: "Refuse a valid token whose issuer and subject map to no consumer (default false).",
    }),
  ),
};

const apiKey = Type.Object(
  {
    header: Type.Optional({ ...HeaderName, description: "Header carrying the key (default x-api-key)." }),
    query: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9._~-]+$",
        description: "Query parameter carrying the key (off by default: URLs end up in logs and caches).",
      }),
    ),
    hideCredentials: hide,
  },
  { additionalProperties: false },
);

const basic = Type.Object({ hideCredentials: hide }, { additionalProperties: false });

const jwt = Type.Object(
  {
    issuer: Type.String({
      minLength: 1,
      description: "Expected iss; also where discovery looks when jwksUri is absent.",
    }),
    jwksUri: Type.Optional(ProviderUrl),
    audiences: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "aud must name one of these." }),
    ),
    algorithms: Type.Array(Algorithm, {
      minItems: 1,
      uniqueItems: true,
      description: "Accepted signature algorithms; never taken from the token.",
    }),
    types: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Accepted typ headers (default ["at+jwt"], RFC 9068; [] to skip the check).',
      }),
    ),
    clockSkewSec: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 600, description: "Leeway for exp and nbf (default 30)." }),
    ),
    requiredClaims: Type.Optional(Type.Array(ClaimName)),
    cooldownMs: Type.Optional(Ms("Least time between JWKS fetches caused by unknown kids", 30_000, 1000)),
    refreshMs: Type.Optional(Ms("Background JWKS refresh period", 300_000, 10_000)),
    fetchTimeoutMs: Type.Optional(Ms("Timeout of a discovery or JWKS fetch", 2_000)),
    ca: Type.Optional(
      Type.String({ minLength: 1, description: "PEM CA bundle for the provider's TLS certificate." }),
    ),
    ...claimsMapping,
    hideCredentials: hide,
  },
  { additionalProperties: false },
);

const introspection = Type.Object(
  {
    issuer: Type.Optional(
      Type.String({ minLength: 1, description: "Discover introspection_endpoint from this issuer." }),
    ),
    endpoint: Type.Optional(ProviderUrl),
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1, description: "Use ${ENV_VAR}; never logged." }),
    authMethod: Type.Optional(
      Type.Union([Type.Literal("client_secret_basic"), Type.Literal("client_secret_post")]),
    ),
    audiences: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    timeoutMs: Type.Optional(Ms("Introspection call timeout", 2_000)),
    cacheMaxMs: Type.Optional(Ms("Longest a result is cached (never past the token's exp)", 60_000, 0)),
    ca: Type.Optional(Type.String({ minLength: 1 })),
    ...claimsMapping,
    hideCredentials: hide,
  },
  { additionalProperties: false },
);

const mtls = Type.Object(
  {
    requireConsumer: Type.Optional(
      Type.Boolean({ description: "Refuse a verified certificate that maps to no consumer (default true)." }),
    ),
  },
  { additionalProperties: false },
);

export const methodSchema = Type.Union([
  Type.Object({ apiKey }, { additionalProperties: false }),
  Type.Object({ basic }, { additionalProperties: false }),
  Type.Object({ jwt }, { additionalProperties: false }),
  Type.Object({ introspection }, { additionalProperties: false }),
  Type.Object({ mtls }, { additionalProperties: false }),
]);

export const authenticateSchema = Type.Object(
  {
    methods: Type.Array(methodSchema, {
      minItems: 1,
      description: "Accepted methods; the first whose credential the request carries decides.",
    }),
    anonymous: Type.Optional(
      Type.Boolean({
        description: "Let requests without any credential through unauthenticated (default false).",
      }),
    ),
    realm: Type.Optional(
      Type.String({ pattern: '^[^"\\\\]{1,64}$', description: 'Challenge realm (default "portcullis").' }),
    ),
    upstream: Type.Optional(
      Type.Object(
        {
          consumerId: Type.Optional(HeaderName),
          consumerName: Type.Optional(HeaderName),
          subject: Type.Optional(HeaderName),
          method: Type.Optional(HeaderName),
          claims: Type.Optional(
            Type.Record(ClaimName, HeaderName, { description: "Claim name → header sent upstream." }),
          ),
        },
        {
          additionalProperties: false,
          description: "Identity headers for the upstream; client copies are removed.",
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: "Who the request is from: API key, Basic, JWT, introspection, mTLS.",
  },
);

export type AuthenticateOptions = Static<typeof authenticateSchema>;
export type ApiKeyOptions = Static<typeof apiKey>;
export type BasicOptions = Static<typeof basic>;
export type JwtOptions = Static<typeof jwt>;
export type IntrospectionOptions = Static<typeof introspection>;
export type MtlsOptions = Static<typeof mtls>;
