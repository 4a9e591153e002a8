import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const HeaderName = Type.String({ pattern: TOKEN_PATTERN });
const Method = Type.String({ pattern: "^[A-Z]{1,16}$" });
const ClaimValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

const rule = Type.Object(
  {
    methods: Type.Optional(
      Type.Array(Method, {
        minItems: 1,
        uniqueItems: true,
        description: "Methods the rule applies to (default all).",
      }),
    ),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "Every one is required." }),
    ),
    groups: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: "Membership of at least one is required.",
      }),
    ),
    claims: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1 }),
        Type.Union([ClaimValue, Type.Array(ClaimValue, { minItems: 1 })]),
        {
          description: "Claim → required value (a list: any of them). A list claim must contain the value.",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const names = Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true });

export const authorizeSchema = Type.Object(
  {
    rules: Type.Optional(
      Type.Array(rule, { description: "Every rule that applies to the method must hold." }),
    ),
    consumers: Type.Optional(
      Type.Object(
        {
          allow: Type.Optional({ ...names, description: "Only these consumers (by name)." }),
          deny: Type.Optional({ ...names, description: "Never these consumers; deny wins." }),
        },
        { additionalProperties: false },
      ),
    ),
    external: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            pattern: "^https?://",
            description: "The authorization service; it gets a POST.",
          }),
          timeoutMs: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 60_000, description: "Default 200." }),
          ),
          failureMode: Type.Optional(
            Type.Union([Type.Literal("closed"), Type.Literal("open")], {
              description:
                "When the service fails or is slow: closed (default) answers 503, open lets the request through.",
            }),
          ),
          cacheTtlMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 3_600_000,
              description: "Cache decisions this long (default 0: off).",
            }),
          ),
          requestHeaders: Type.Optional(
            Type.Array(HeaderName, {
              uniqueItems: true,
              description: "Client headers sent along (default none).",
            }),
          ),
          upstreamHeaders: Type.Optional(
            Type.Array(HeaderName, {
              uniqueItems: true,
              description: "Headers of an allowing answer copied to the upstream request.",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "What an authenticated identity may do: scopes, groups, claims, consumers, an external check.",
  },
);

export type AuthorizeOptions = Static<typeof authorizeSchema>;
export type AuthorizeRule = Static<typeof rule>;
export type ExternalOptions = NonNullable<AuthorizeOptions["external"]>;
