/**
 * A route the schema accepted but the router cannot compile (bad regex, duplicated template param,
 * rewrite naming an unknown param...). The config layer maps `routeIndex` + `field` to a file path and
 * line, so `field` uses the same slash path as the schema ("match/path", "rewrite", "match/headers/x-v").
 */
export class RouterConfigError extends Error {
  readonly routeIndex: number;
  readonly field: string;

  constructor(routeIndex: number, routeName: string, field: string, detail: string) {
    super(`route "${routeName}" (routes[${routeIndex}]) ${field}: ${detail}`);
    this.name = "RouterConfigError";
    this.routeIndex = routeIndex;
    this.field = field;
  }
}
