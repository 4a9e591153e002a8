// The `consumers` section: named identities, their credentials (hashed at rest) and per-policy settings.
import Type, { type Static } from "typebox";

export const API_KEY_HASH = "^sha256:[0-9a-f]{64}$";
export const PASSWORD_HASH =
  "^\\$scrypt\\$ln=([0-9]{1,2}),r=([0-9]{1,2}),p=([0-9]{1,2})\\$[A-Za-z0-9+/]{16,}={0,2}\\$[A-Za-z0-9+/]{43,}={0,2}$";

export const consumerSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$", description: "Unique name." }),
    id: Type.Optional(
      Type.String({
        pattern: "^[\\x21-\\x7e]{1,128}$",
        description: "Sent upstream as the consumer id (default: the name).",
      }),
    ),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { uniqueItems: true })),
    credentials: Type.Optional(
      Type.Object(
        {
          apiKeys: Type.Optional(
            Type.Array(Type.String({ pattern: API_KEY_HASH }), {
              description: "SHA-256 of each key: `portcullis hash-secret --api-key` (never the key itself).",
            }),
          ),
          basic: Type.Optional(
            Type.Object(
              {
                username: Type.String({ minLength: 1, maxLength: 256, pattern: "^[^:]+$" }),
                password: Type.String({
                  pattern: PASSWORD_HASH,
                  description: "scrypt hash: `portcullis hash-secret --password` (never the password).",
                }),
              },
              { additionalProperties: false },
            ),
          ),
          jwt: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  issuer: Type.String({ minLength: 1 }),
                  subject: Type.String({
                    minLength: 1,
                    description: "The token's `sub` (or client id claim).",
                  }),
                },
                { additionalProperties: false },
              ),
            ),
          ),
          mtls: Type.Optional(
            Type.Array(
              Type.Union([
                Type.Object({ subject: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
                Type.Object({ san: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
              ]),
              { description: "Client certificate subject (RFC 4514, e.g. CN=svc,O=Example) or one SAN." },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    settings: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "Per-consumer settings for policies, keyed by policy name.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type ConsumerConfig = Static<typeof consumerSchema>;
