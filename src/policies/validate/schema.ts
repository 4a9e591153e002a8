import Type, { type Static } from "typebox";

// A JSON Schema as written in the config: an object (its keywords are checked when the policy compiles
// it) or a boolean schema.
const JsonSchema = Type.Union([Type.Boolean(), Type.Object({}, { additionalProperties: true })], {
  description:
    "A JSON Schema (2020-12 unless its $schema names draft-07). Refused when the configuration loads if invalid.",
});

// type/subtype, type/*, */* or type/*+suffix; parameters are not part of an entry.
const MediaRange = Type.String({
  pattern:
    "^(\\*/\\*|[!#$%&'*+.^_`|~0-9A-Za-z-]+/(\\*|\\*\\+[!#$%&'*+.^_`|~0-9A-Za-z-]+|[!#$%&'*+.^_`|~0-9A-Za-z-]+))$",
  description:
    'A media type ("application/json"), "type/*", "*/*" or "type/*+suffix" ("application/*+json").',
});

const Schemas = Type.Object(
  {
    path: Type.Optional({ ...JsonSchema, description: "Schema of the route's path params (an object)." }),
    query: Type.Optional({
      ...JsonSchema,
      description: "Schema of the query parameters (an object; a repeated key is an array).",
    }),
    headers: Type.Optional({
      ...JsonSchema,
      description: "Schema of the request headers (an object with lower-case names).",
    }),
    body: Type.Optional({ ...JsonSchema, description: "Schema of the JSON request body." }),
  },
  {
    additionalProperties: false,
    description: "JSON Schemas per request location; params, query and headers are coerced from strings.",
  },
);

const OpenApi = Type.Object(
  {
    file: Type.String({
      minLength: 1,
      description:
        "OpenAPI 3.0 or 3.1 document (YAML or JSON): an absolute path or one relative to the config file's folder.",
    }),
    pathPrefix: Type.Optional(
      Type.String({
        pattern: "^/",
        description:
          'Removed from the request path before it is matched against the document\'s paths ("/api").',
      }),
    ),
    unknownOperations: Type.Optional(
      Type.Union([Type.Literal("reject"), Type.Literal("allow")], {
        description: "A request no operation of the document describes: reject (400, default) or allow.",
      }),
    ),
  },
  { additionalProperties: false, description: "Validate requests against an OpenAPI document." },
);

export const validateSchema = Type.Object(
  {
    schema: Type.Optional(Schemas),
    openapi: Type.Optional(OpenApi),
    contentTypes: Type.Optional(
      Type.Array(MediaRange, {
        minItems: 1,
        uniqueItems: true,
        description:
          "Media types a request body may have (415 otherwise); parameters such as charset are ignored.",
      }),
    ),
    requireBody: Type.Optional(
      Type.Boolean({
        description: "With schema.body: a request without a body is a violation (default false).",
      }),
    ),
    maxBodyBytes: Type.Optional(
      Type.Integer({ minimum: 0, description: "Largest request body accepted on this route (413 above)." }),
    ),
  },
  {
    additionalProperties: false,
    description: "Check requests against JSON Schemas or an OpenAPI document before they go upstream.",
  },
);

export type ValidateOptions = Static<typeof validateSchema>;
export type SchemaOptions = Static<typeof Schemas>;
export type OpenApiOptions = Static<typeof OpenApi>;
