// The plain route with the whole resilience layer on: least-request balancing, passive health, a circuit
// breaker per target, a bulkhead and a retry policy. Compared with `plain` it shows the happy-path cost.
import type { Scenario } from "./types.ts";

export const resilient: Scenario = {
  name: "resilient",
  description: "plain, plus least-request balancing, passive health, circuit breaker, bulkhead and retries",
  setup: (ctx) => ({
    config: {
      version: 1,
      listeners: [{ name: "bench", address: "127.0.0.1", port: ctx.listenPort }],
      admin: { address: "127.0.0.1", port: ctx.adminPort },
      log: { accessLog: ctx.accessLog },
      upstreams: [
        {
          name: "backend",
          balancer: "least-request",
          targets: [{ url: ctx.backendOrigin }],
          health: { passive: { consecutive5xx: 5 } },
          circuitBreaker: { failureRatio: 0.5, minRequests: 20 },
          bulkhead: { maxConcurrent: 1024 },
        },
      ],
      routes: [{ name: "all", match: { path: "/" }, upstream: "backend", retry: { attempts: 2 } }],
    },
  }),
};
