// Every scenario `SCENARIOS=a,b` may name.
import { cacheHit, cacheOff } from "./cache.ts";
import { jwt, jwtOff } from "./jwt.ts";
import { plain } from "./plain.ts";
import { rateLimitLeased, rateLimitMemory, rateLimitRedis } from "./rate-limit.ts";
import { resilient } from "./resilient.ts";
import type { Scenario } from "./types.ts";

export const scenarios: ReadonlyMap<string, Scenario> = new Map(
  [plain, resilient, jwt, jwtOff, rateLimitMemory, rateLimitRedis, rateLimitLeased, cacheOff, cacheHit].map(
    (s) => [s.name, s],
  ),
);
