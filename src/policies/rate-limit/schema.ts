import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const HeaderName = Type.String({ pattern: TOKEN_PATTERN });
const ItemName = Type.String({
  pattern: "^[a-z][a-z0-9_.*-]{0,31}$",
  description: "Names the limit in RateLimit-Policy / RateLimit headers and in consumer overrides.",
});

export const keyPart = Type.Union([
  Type.Literal("clientIp"),
  Type.Literal("consumer"),
  Type.Literal("route"),
  Type.Object({ header: HeaderName }, { additionalProperties: false }),
  Type.Object({ claim: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
]);

const Key = Type.Array(keyPart, {
  minItems: 1,
  description: "What the limit is counted per; several parts combine (e.g. consumer and route).",
});

const limit = Type.Object(
  {
    name: ItemName,
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    windowSec: Type.Integer({ minimum: 1, maximum: 31 * 86_400, description: "The window (seconds)." }),
    algorithm: Type.Optional(
      Type.Union([Type.Literal("sliding-window"), Type.Literal("token-bucket")], {
        description:
          "sliding-window (default): exact, at most `limit` in any window. token-bucket: bursts up to `burst`.",
      }),
    ),
    burst: Type.Optional(
      Type.Integer({ minimum: 1, description: "Token bucket capacity (default: limit)." }),
    ),
    key: Type.Optional({ ...Key, description: "Default [clientIp]." }),
  },
  { additionalProperties: false },
);

const quota = Type.Object(
  {
    name: ItemName,
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
    period: Type.Union([Type.Literal("day"), Type.Literal("month")]),
    timeZone: Type.Optional(
      Type.String({ minLength: 1, description: 'IANA time zone of the calendar (default "UTC").' }),
    ),
    key: Type.Optional({ ...Key, description: "Default [consumer]." }),
  },
  { additionalProperties: false },
);

export const rateLimitSchema = Type.Object(
  {
    store: Type.Optional(
      Type.Union([Type.Literal("memory"), Type.Literal("redis")], {
        description: "memory (default): per gateway. redis: shared by every gateway (top-level `redis`).",
      }),
    ),
    limits: Type.Optional(Type.Array(limit, { minItems: 1 })),
    quotas: Type.Optional(Type.Array(quota, { minItems: 1 })),
    failureMode: Type.Optional(
      Type.Union([Type.Literal("open"), Type.Literal("closed")], {
        description:
          "Redis down or slow: open (default) limits with a local in-memory limiter; closed answers 503.",
      }),
    ),
    lease: Type.Optional(
      Type.Object(
        {
          size: Type.Integer({
            minimum: 2,
            maximum: 1000,
            description: "Units taken from Redis per round trip.",
          }),
          ttlMs: Type.Optional(
            Type.Integer({
              minimum: 10,
              maximum: 60_000,
              description: "Unused leased units are dropped after this (default 1000).",
            }),
          ),
        },
        {
          additionalProperties: false,
          description: "Batching: fewer Redis round trips, bounded overshoot (see docs).",
        },
      ),
    ),
    headers: Type.Optional(
      Type.Boolean({ description: "Send RateLimit and RateLimit-Policy on every response (default true)." }),
    ),
  },
  {
    additionalProperties: false,
    description: "Rate limits and calendar quotas, per gateway or across gateways (Redis).",
  },
);

export type RateLimitOptions = Static<typeof rateLimitSchema>;
export type LimitOptions = Static<typeof limit>;
export type QuotaOptions = Static<typeof quota>;
export type KeyPart = Static<typeof keyPart>;

/** consumers[].settings.rateLimit */
export const consumerOverrideSchema = Type.Object(
  {
    exempt: Type.Optional(Type.Boolean({ description: "No limits or quotas for this consumer." })),
    limits: Type.Optional(
      Type.Record(ItemName, Type.Integer({ minimum: 1 }), { description: "Limit name → its limit." }),
    ),
    quotas: Type.Optional(
      Type.Record(ItemName, Type.Integer({ minimum: 1 }), { description: "Quota name → its limit." }),
    ),
  },
  { additionalProperties: false },
);

export type ConsumerOverride = Static<typeof consumerOverrideSchema>;
