// Shared by the routing tests: build a router from terse route configs whose payload is the route name.
import type { RouteConfig } from "../config/schema.ts";
import { compileRouter } from "./router.ts";
import type { MatchInput, MatchResult, Router } from "./types.ts";

export type TestRoute = Omit<RouteConfig, "upstream"> & { upstream?: string };

export function routerOf(...routes: TestRoute[]): Router<string> {
  return compileRouter(
    routes.map((r, index) => ({ config: { upstream: "u", ...r }, index, payload: r.name })),
  );
}

export function req(path: string, init: Partial<Omit<MatchInput, "path">> = {}): MatchInput {
  return { method: "GET", host: "example.com", query: "", headers: {}, ...init, path };
}

/** The winning route's name, or "404" / "405 GET,HEAD" for the other outcomes. */
export function outcome(result: MatchResult<string>): string {
  if (result.kind === "route") return result.route;
  if (result.kind === "not-found") return "404";
  return `405 ${result.allow.join(",")}`;
}

export function winner(router: Router<string>, input: MatchInput): string {
  return outcome(router.match(input));
}
