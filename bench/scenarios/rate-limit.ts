// The plain route behind a rate limit that never refuses (so every request pays for the check and
// nothing else changes): counted in memory, in Redis (one round trip per request), and in Redis with
// leases of 100 units (one round trip per 100 requests). Redis is the machine's, under a prefix of this
// run's own.
import { randomUUID } from "node:crypto";
import { type Policies, plainWith } from "./plain.ts";
import type { ScenarioContext } from "./types.ts";

const RUN = randomUUID();
const redis = (ctx: ScenarioContext) => ({
  redis: { url: "redis://127.0.0.1:6379", prefix: `bench:${RUN}:${ctx.listenPort}:` },
});

// A token bucket far above what one gateway can serve: never refuses, O(1) state.
const limits: NonNullable<Policies["rateLimit"]>["limits"] = [
  { name: "per-second", limit: 10_000_000, windowSec: 1, algorithm: "token-bucket", key: ["clientIp"] },
];

export const rateLimitMemory = plainWith("rl-memory", "plain, plus a rate limit counted in memory", {
  rateLimit: { limits },
});
export const rateLimitRedis = plainWith(
  "rl-redis",
  "plain, plus a rate limit counted in Redis (a round trip per request)",
  { rateLimit: { store: "redis", limits } },
  { extra: redis },
);
export const rateLimitLeased = plainWith(
  "rl-redis-lease",
  "plain, plus a rate limit in Redis with leases of 100 units",
  { rateLimit: { store: "redis", lease: { size: 100 }, limits } },
  { extra: redis },
);
