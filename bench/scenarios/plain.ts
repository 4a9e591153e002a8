// The cheapest useful gateway: one listener, one prefix route, one upstream, no policies.
import type { Config } from "../../src/config/schema.ts";
import type { Scenario, ScenarioContext } from "./types.ts";

export const plain: Scenario = {
  name: "plain",
  description: "one listener, one route `/` to one upstream, no policies",
  setup: (ctx) => ({
    config: {
      version: 1,
      listeners: [{ name: "bench", address: "127.0.0.1", port: ctx.listenPort }],
      admin: { address: "127.0.0.1", port: ctx.adminPort },
      log: { accessLog: ctx.accessLog },
      upstreams: [{ name: "backend", targets: [{ url: ctx.backendOrigin }] }],
      routes: [{ name: "all", match: { path: "/" }, upstream: "backend" }],
    },
  }),
};

export type Policies = NonNullable<Config["policies"]>;

/** The plain route with `policies` on it; `extra` adds top-level config (e.g. `redis`) per start. */
export function plainWith(
  name: string,
  description: string,
  policies: Policies,
  options: { path?: string; extra?: (ctx: ScenarioContext) => Partial<Config> } = {},
): Scenario {
  return {
    name,
    description,
    setup: async (ctx) => {
      const { config } = await plain.setup(ctx);
      return {
        config: {
          ...config,
          ...options.extra?.(ctx),
          routes: config.routes.map((r) => ({ ...r, policies })),
        },
        ...(options.path === undefined ? {} : { request: { path: options.path } }),
      };
    },
  };
}
