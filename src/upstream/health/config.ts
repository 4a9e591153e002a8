// The proposed `upstreams[].health` config block and its translation into a registry spec. The integrator
// adds `health: Type.Optional(healthSchema)` to the upstream schema; defaults live in options.ts.
import Type, { type Static } from "typebox";
import type { UpstreamConfig } from "../../config/schema.ts";
import { ACTIVE_DEFAULTS, OUTLIER_DEFAULTS } from "./options.ts";
import type { HealthUpstreamSpec } from "./registry.ts";

const Ms = (description: string, def: number | string, minimum = 1) =>
  Type.Integer({
    minimum,
    maximum: 86_400_000,
    description: `${description} (milliseconds, default ${def}).`,
  });
const Count = (description: string, def: number, minimum = 1) =>
  Type.Integer({ minimum, maximum: 1_000, description: `${description} (default ${def}).` });

export const activeHealthSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ pattern: "^/", description: 'Probe path (default "/").' })),
    method: Type.Optional(Type.Union([Type.Literal("GET"), Type.Literal("HEAD")])),
    host: Type.Optional(Type.String({ minLength: 1, description: "Host header (default: the target's)." })),
    intervalMs: Type.Optional(Ms("Time between probes", ACTIVE_DEFAULTS.intervalMs)),
    jitterMs: Type.Optional(Ms("Random extra wait per probe", "intervalMs / 10", 0)),
    timeoutMs: Type.Optional(Ms("Probe deadline, connect to last body byte", ACTIVE_DEFAULTS.timeoutMs)),
    healthyThreshold: Type.Optional(
      Count("Passing probes in a row to become healthy", ACTIVE_DEFAULTS.healthyThreshold),
    ),
    unhealthyThreshold: Type.Optional(
      Count("Failed probes in a row to become unhealthy", ACTIVE_DEFAULTS.unhealthyThreshold),
    ),
    expectedStatuses: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Integer({ minimum: 100, maximum: 599 }),
          Type.String({ pattern: "^([1-5]xx|[1-5][0-9][0-9](-[1-5][0-9][0-9])?)$" }),
        ]),
        { minItems: 1, description: 'Codes, classes or ranges: [200, "2xx", "300-304"] (default ["2xx"]).' },
      ),
    ),
    initialState: Type.Optional(
      Type.Union([Type.Literal("unknown"), Type.Literal("unhealthy")], {
        description:
          'Before the first probe answers: "unknown" takes traffic (default), "unhealthy" takes none.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const passiveHealthSchema = Type.Object(
  {
    consecutive5xx: Type.Optional(
      Count(
        "Failures in a row (5xx, connect failure, timeout) that eject; 0 = off",
        OUTLIER_DEFAULTS.consecutive5xx,
        0,
      ),
    ),
    consecutiveGatewayFailures: Type.Optional(
      Count(
        "Connect failures or timeouts in a row that eject; 0 = off",
        OUTLIER_DEFAULTS.consecutiveGatewayFailures,
        0,
      ),
    ),
    baseEjectionMs: Type.Optional(
      Ms("First ejection's length; the n-th lasts n times as long", OUTLIER_DEFAULTS.baseEjectionMs),
    ),
    maxEjectionMs: Type.Optional(Ms("Longest ejection", OUTLIER_DEFAULTS.maxEjectionMs)),
    maxEjectedPercent: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: `Share of targets ejected at once; at least one of two or more, never all (default ${OUTLIER_DEFAULTS.maxEjectedPercent}).`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const healthSchema = Type.Object(
  {
    active: Type.Optional(activeHealthSchema),
    passive: Type.Optional(passiveHealthSchema),
  },
  { additionalProperties: false },
);

export type HealthConfig = Static<typeof healthSchema>;

/** Target id = URL host (host:port, port omitted when default), the cluster's `Target.address`. */
export function healthSpec(upstream: UpstreamConfig & { health?: HealthConfig }): HealthUpstreamSpec {
  return {
    name: upstream.name,
    targets: upstream.targets.map((t) => {
      const url = new URL(t.url);
      return { id: url.host, origin: url.origin };
    }),
    ...(upstream.health?.active ? { activeCheck: upstream.health.active } : {}),
    ...(upstream.health?.passive ? { outlier: upstream.health.passive } : {}),
    ...(upstream.http2 ? { http2: true } : {}),
    ...(upstream.tls ? { tls: upstream.tls } : {}),
  };
}
