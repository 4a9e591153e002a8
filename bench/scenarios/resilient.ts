// The plain route with the whole resilience layer on: least-request balancing, passive health, a circuit
// breaker per target, a bulkhead and a retry policy. Compared with `plain` it shows the happy-path cost.
import { plain } from "./plain.ts";
import type { Scenario } from "./types.ts";

export const resilient: Scenario = {
  name: "resilient",
  description: "plain, plus least-request balancing, passive health, circuit breaker, bulkhead and retries",
  setup: async (ctx) => {
    const { config } = await plain.setup(ctx);
    return {
      config: {
        ...config,
        upstreams: config.upstreams.map((u) => ({
          ...u,
          balancer: "least-request" as const,
          health: { passive: { consecutive5xx: 5 } },
          circuitBreaker: { failureRatio: 0.5, minRequests: 20 },
          bulkhead: { maxConcurrent: 1024 },
        })),
        routes: config.routes.map((r) => ({ ...r, retry: { attempts: 2 } })),
      },
    };
  },
};
