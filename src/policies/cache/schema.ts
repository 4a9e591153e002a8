import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const HeaderName = Type.String({ pattern: TOKEN_PATTERN });

export const cacheSchema = Type.Object(
  {
    store: Type.Optional(
      Type.Union([Type.Literal("memory"), Type.Literal("redis")], {
        description: "memory (default): per gateway. redis: shared by every gateway (top-level `redis`).",
      }),
    ),
    maxObjectBytes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64 * 1024 * 1024,
        description: "Largest body stored (default 1 MiB); larger ones stream through.",
      }),
    ),
    memoryBytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        description: "Memory store size (default 64 MiB), shared by every route of the gateway.",
      }),
    ),
    key: Type.Optional(
      Type.Object(
        {
          query: Type.Optional(
            Type.Union(
              [Type.Literal("all"), Type.Literal("none"), Type.Array(Type.String({ minLength: 1 }))],
              {
                description: "Query parameters in the key: all (default, sorted), none, or these names.",
              },
            ),
          ),
          headers: Type.Optional(Type.Array(HeaderName, { description: "Request headers in the key." })),
          consumer: Type.Optional(
            Type.Boolean({
              description: "Key per consumer: then credentialed responses may be stored for their consumer.",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    keepStaleMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "How long past its freshness a response with a validator (ETag, Last-Modified) is kept for conditional revalidation (default 300000).",
      }),
    ),
    surrogateControl: Type.Optional(
      Type.Boolean({
        description:
          "Honour Surrogate-Control (it replaces Cache-Control for this cache) and remove it from responses (default true).",
      }),
    ),
    tagHeader: Type.Optional({
      ...HeaderName,
      description: "Response header listing purge tags (default Surrogate-Key).",
    }),
  },
  {
    additionalProperties: false,
    description: "An RFC 9111 shared cache for GET and HEAD responses.",
  },
);

export type CacheOptions = Static<typeof cacheSchema>;
