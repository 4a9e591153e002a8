import Type, { type Static } from "typebox";

export const corsSchema = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Allowed origins: exact ("https://app.example.com"), wildcard subdomain ("https://*.example.com") or "*".',
    }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: "^[A-Za-z]+$" }), {
        description: "Methods allowed in preflight (default GET, HEAD, POST).",
      }),
    ),
    allowHeaders: Type.Optional(
      Type.Array(Type.String(), { description: "Request headers allowed in preflight; '*' allows any." }),
    ),
    exposeHeaders: Type.Optional(
      Type.Array(Type.String(), { description: "Response headers exposed to scripts." }),
    ),
    credentials: Type.Optional(Type.Boolean({ description: "Send Access-Control-Allow-Credentials: true." })),
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
    privateNetwork: Type.Optional(Type.Boolean({ description: "Answer Private Network Access preflights." })),
  },
  { additionalProperties: false, description: "Cross-origin resource sharing per the Fetch standard." },
);

export type CorsOptions = Static<typeof corsSchema>;
