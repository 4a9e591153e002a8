// The plain route behind a rate limit that never refuses (so every request pays for the check and
// nothing else changes): counted in memory, in Redis (one round trip per request), and in Redis with
// leases of 100 units (one round trip per 100 requests). Redis is the machine's, under a prefix of this
// run's own.
import { randomUUID } from "node:crypto";
import type { Config } from "../../src/config/schema.ts";
import { plain } from "./plain.ts";
import type { Scenario, ScenarioContext } from "./types.ts";

const RUN = randomUUID();

type RateLimit = NonNullable<NonNullable<Config["policies"]>["rateLimit"]>;

function scenario(name: string, description: string, rateLimit: RateLimit): Scenario {
  return {
    name,
    description,
    setup: async (ctx: ScenarioContext) => {
      const { config } = await plain.setup(ctx);
      return {
        config: {
          ...config,
          redis: { url: "redis://127.0.0.1:6379", prefix: `bench:${RUN}:${ctx.listenPort}:` },
          routes: config.routes.map((r) => ({ ...r, policies: { rateLimit } })),
        },
      };
    },
  };
}

// A token bucket far above what one gateway can serve: never refuses, O(1) state.
const limits: RateLimit["limits"] = [
  { name: "per-second", limit: 10_000_000, windowSec: 1, algorithm: "token-bucket", key: ["clientIp"] },
];

export const rateLimitMemory = scenario("rl-memory", "plain, plus a rate limit counted in memory", {
  limits,
});
export const rateLimitRedis = scenario(
  "rl-redis",
  "plain, plus a rate limit counted in Redis (a round trip per request)",
  {
    store: "redis",
    limits,
  },
);
export const rateLimitLeased = scenario(
  "rl-redis-lease",
  "plain, plus a rate limit in Redis with leases of 100 units",
  {
    store: "redis",
    lease: { size: 100 },
    limits,
  },
);
