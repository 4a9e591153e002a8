import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

// A header name (RFC 9110 token); "*" is a token too.
const Name = Type.String({ pattern: TOKEN_PATTERN });

export const corsSchema = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Allowed origins: exact ("https://app.example.com"), wildcard subdomain ("https://*.example.com"), "null" (literally), or "*" alone.',
    }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: "^([A-Za-z]+|\\*)$" }), {
        minItems: 1,
        description: 'Methods a preflight may ask for (default GET, HEAD, POST); "*" allows any.',
      }),
    ),
    allowHeaders: Type.Optional(
      Type.Array(Name, {
        description: "Request headers a preflight may ask for; '*' allows any except Authorization.",
      }),
    ),
    exposeHeaders: Type.Optional(
      Type.Array(Name, { description: "Response headers exposed to scripts; '*' exposes all." }),
    ),
    credentials: Type.Optional(Type.Boolean({ description: "Send Access-Control-Allow-Credentials: true." })),
    maxAgeSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 86400, description: "How long a browser may cache a preflight." }),
    ),
    privateNetwork: Type.Optional(Type.Boolean({ description: "Answer Private Network Access preflights." })),
  },
  { additionalProperties: false, description: "Cross-origin resource sharing per the Fetch standard." },
);

export type CorsOptions = Static<typeof corsSchema>;
