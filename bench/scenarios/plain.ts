// The cheapest useful gateway: one listener, one prefix route, one upstream, no policies.
import type { Scenario } from "./types.ts";

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
