// A cacheable route (the backend says `public, max-age=3600`), with and without the cache policy: the
// uncached row pays the origin round trip every time, the cached one serves every request after the
// first from the memory store.
import type { Config } from "../../src/config/schema.ts";
import { plain } from "./plain.ts";
import type { Scenario, ScenarioContext } from "./types.ts";

type Cache = NonNullable<NonNullable<Config["policies"]>["cache"]>;

function scenario(name: string, description: string, cache: Cache | undefined): Scenario {
  return {
    name,
    description,
    setup: async (ctx: ScenarioContext) => {
      const { config } = await plain.setup(ctx);
      return {
        config: {
          ...config,
          routes: config.routes.map((r) => (cache === undefined ? r : { ...r, policies: { cache } })),
        },
        request: { path: "/cacheable" },
      };
    },
  };
}

export const cacheOff = scenario("cache-off", "the cacheable path on the plain route, no cache", undefined);
export const cacheHit = scenario("cache-hit", "the cacheable path with the cache policy (memory): hits", {});
