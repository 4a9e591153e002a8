// The configuration's JSON Schema: the single source of validation (ajv compiles it) and of the
// published file `schema/portcullis.schema.json` that editors use for autocompletion.
import Type, { type Static } from "typebox";
import { consumerSchema } from "../consumers/schema.ts";
import { TOKEN_PATTERN } from "../pipeline/token.ts";
import { policiesSchema } from "../policies/registry.ts";
import { healthSchema } from "../upstream/health/config.ts";

const Name = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
  description: "A stable identifier.",
});
const Ms = (description: string, def: number) =>
  Type.Integer({
    minimum: 1,
    maximum: 86_400_000,
    description: `${description} (milliseconds, default ${def}).`,
  });
const Host = Type.String({
  pattern:
    "^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\\*$",
  description: 'A host name: exact ("api.example.com"), wildcard subdomain ("*.example.com") or "*".',
});
const Cidr = Type.String({ minLength: 2, description: "An IPv4/IPv6 address or CIDR block." });

export const tlsCertificateSchema = Type.Object(
  {
    cert: Type.String({ minLength: 1, description: "Path to the PEM certificate chain." }),
    key: Type.String({ minLength: 1, description: "Path to the PEM private key." }),
    serverNames: Type.Optional(
      Type.Array(Host, {
        description: "SNI names served by this certificate (default: the certificate's SANs).",
      }),
    ),
  },
  { additionalProperties: false },
);

export const listenerSchema = Type.Object(
  {
    name: Name,
    address: Type.Optional(Type.String({ description: "Bind address (default 127.0.0.1)." })),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    http2: Type.Optional(
      Type.Boolean({
        description:
          "Accept HTTP/2: ALPN h2 with TLS (default true), prior-knowledge h2c without TLS (default false).",
      }),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          certificates: Type.Array(tlsCertificateSchema, {
            minItems: 1,
            description: "Certificates chosen by SNI; the first one is the default.",
          }),
          minVersion: Type.Optional(Type.Union([Type.Literal("TLSv1.2"), Type.Literal("TLSv1.3")])),
          clientAuth: Type.Optional(
            Type.Object(
              {
                ca: Type.String({
                  minLength: 1,
                  description: "PEM bundle of the CAs client certificates must chain to.",
                }),
                mode: Type.Optional(
                  Type.Union([Type.Literal("required"), Type.Literal("optional")], {
                    description:
                      "required (default): no handshake without a valid certificate; optional: ask, let routes decide.",
                  }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const limitsSchema = Type.Object(
  {
    maxHeaderBytes: Type.Optional(
      Type.Integer({ minimum: 1024, maximum: 1_048_576, description: "431 above." }),
    ),
    maxHeaders: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: "431 above (default 100)." }),
    ),
    maxUrlLength: Type.Optional(Type.Integer({ minimum: 64, maximum: 65_536, description: "414 above." })),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, description: "413 above (default 10 MiB)." })),
    headersTimeoutMs: Type.Optional(Ms("Time allowed to receive the request headers", 10_000)),
    bodyIdleTimeoutMs: Type.Optional(Ms("Longest pause between two pieces of a request body", 10_000)),
    requestTimeoutMs: Type.Optional(Ms("Time allowed to receive a whole request", 60_000)),
    keepAliveTimeoutMs: Type.Optional(Ms("Idle time before a kept-alive client connection is closed", 5_000)),
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, description: "Per listener (default 10000)." })),
    shutdownGraceMs: Type.Optional(Ms("Time in-flight requests get to finish on SIGTERM", 10_000)),
  },
  { additionalProperties: false },
);

export const hygieneSchema = Type.Object(
  {
    headersWithUnderscores: Type.Optional(
      Type.Union([Type.Literal("reject"), Type.Literal("drop"), Type.Literal("allow")], {
        description: "Header names containing '_' (default reject, as Envoy's edge guidance advises).",
      }),
    ),
    encodedSlashes: Type.Optional(
      Type.Union([Type.Literal("reject"), Type.Literal("keep")], {
        description: "%2F and %5C in the path (default reject).",
      }),
    ),
    mergeSlashes: Type.Optional(Type.Boolean({ description: "Collapse '//' in paths (default true)." })),
  },
  { additionalProperties: false },
);

const Timeouts = Type.Object(
  {
    connectMs: Type.Optional(Ms("TCP/TLS connect", 5_000)),
    responseHeadersMs: Type.Optional(Ms("Wait for the upstream's response headers", 30_000)),
    bodyIdleMs: Type.Optional(Ms("Longest pause between two pieces of the upstream response body", 30_000)),
    totalMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 86_400_000,
        description:
          "Deadline for the response head across every try, retries and backoff included (milliseconds, default none).",
      }),
    ),
  },
  { additionalProperties: false },
);

const BalancerKind = Type.Union(
  [
    Type.Literal("round-robin"),
    Type.Literal("weighted"),
    Type.Literal("least-request"),
    Type.Literal("hash"),
  ],
  { description: "round-robin, weighted (smooth, the default), least-request (power of two choices), hash." },
);
const HashKey = Type.Union(
  [
    Type.Object({ header: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ cookie: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ clientIp: Type.Literal(true) }, { additionalProperties: false }),
  ],
  { description: "What a hash balancer hashes: {header: name}, {cookie: name} or {clientIp: true}." },
);
export const balancerSchema = Type.Union([
  BalancerKind,
  Type.Object(
    {
      kind: BalancerKind,
      key: Type.Optional(HashKey),
      pointsPerWeight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    },
    { additionalProperties: false },
  ),
]);

export const upstreamSchema = Type.Object(
  {
    name: Name,
    targets: Type.Array(
      Type.Object(
        {
          url: Type.String({ pattern: "^https?://[^/?#]+/?$", description: "http(s)://host:port" }),
          weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    http2: Type.Optional(
      Type.Boolean({ description: "Speak HTTP/2 to the targets (ALPN over TLS, h2c otherwise)." }),
    ),
    balancer: Type.Optional(balancerSchema),
    health: Type.Optional(healthSchema),
    retryBudget: Type.Optional(
      Type.Object(
        {
          ratio: Type.Optional(
            Type.Number({ minimum: 0, maximum: 1, description: "Retries / requests (default 0.2)." }),
          ),
          minRetriesPerSecond: Type.Optional(
            Type.Number({ minimum: 0, description: "Allowed whatever the ratio (default 10)." }),
          ),
        },
        {
          additionalProperties: false,
          description: "Caps retries to this upstream so they cannot multiply an outage.",
        },
      ),
    ),
    bulkhead: Type.Optional(
      Type.Object(
        {
          maxConcurrent: Type.Integer({
            minimum: 1,
            description: "Requests in flight to this upstream at most.",
          }),
          maxQueue: Type.Optional(
            Type.Integer({ minimum: 0, description: "Requests waiting for a slot (default 0)." }),
          ),
          maxWaitMs: Type.Optional(
            Type.Integer({ minimum: 1, description: "Longest wait in the queue (ms)." }),
          ),
        },
        { additionalProperties: false, description: "Caps concurrent requests per upstream; over it → 503." },
      ),
    ),
    circuitBreaker: Type.Optional(
      Type.Object(
        {
          failureRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          minRequests: Type.Optional(Type.Integer({ minimum: 1 })),
          windowMs: Type.Optional(Type.Integer({ minimum: 1 })),
          buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          consecutiveFailures: Type.Optional(Type.Integer({ minimum: 0 })),
          openMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxOpenMs: Type.Optional(Type.Integer({ minimum: 1 })),
          halfOpenProbes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        },
        {
          additionalProperties: false,
          description: "A circuit breaker per target (see docs/upstream/resilience.md); off when absent.",
        },
      ),
    ),
    connections: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: "Per target (default 256)." }),
    ),
    keepAliveTimeoutMs: Type.Optional(Ms("Idle upstream connection lifetime", 4_000)),
    timeouts: Type.Optional(Timeouts),
    tls: Type.Optional(
      Type.Object(
        {
          ca: Type.Optional(Type.String({ description: "Path to a PEM CA bundle to verify targets with." })),
          insecureSkipVerify: Type.Optional(
            Type.Boolean({ description: "Do not verify certificates (tests only)." }),
          ),
          serverName: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ValueMatch = Type.Union(
  [
    Type.String({ description: "Exact value." }),
    Type.Object(
      {
        exact: Type.Optional(Type.String()),
        regex: Type.Optional(Type.String()),
        present: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false, minProperties: 1, maxProperties: 1 },
    ),
  ],
  { description: "An exact string, or one of {exact}, {regex} or {present: true|false}." },
);

export const routeSchema = Type.Object(
  {
    name: Name,
    match: Type.Object(
      {
        hosts: Type.Optional(Type.Array(Host, { minItems: 1, description: "Default: any host." })),
        path: Type.String({ minLength: 1, description: "What to match the normalized path against." }),
        pathType: Type.Optional(
          Type.Union(
            [Type.Literal("prefix"), Type.Literal("exact"), Type.Literal("template"), Type.Literal("regex")],
            {
              description:
                "prefix (segment-aware, default), exact, template (/users/:id, /files/*), or regex (anchored).",
            },
          ),
        ),
        methods: Type.Optional(
          Type.Array(Type.String({ pattern: "^[A-Z]+$" }), {
            minItems: 1,
            uniqueItems: true,
            description: "Default: any.",
          }),
        ),
        headers: Type.Optional(
          // additionalProperties: a patterned Record alone would let a non-matching key through silently.
          Type.Record(Type.String({ pattern: TOKEN_PATTERN }), ValueMatch, {
            additionalProperties: false,
            description: "Header name → matcher; all must match (names are case-insensitive).",
          }),
        ),
        query: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ValueMatch)),
      },
      { additionalProperties: false },
    ),
    priority: Type.Optional(
      Type.Integer({
        minimum: -1000,
        maximum: 1000,
        description: "Higher wins before specificity (default 0).",
      }),
    ),
    upstream: Type.String({
      pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
      description: "The name of the upstream (under `upstreams`) this route proxies to.",
    }),
    stripPrefix: Type.Optional(Type.Boolean({ description: "Remove the matched prefix before forwarding." })),
    rewrite: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "New upstream path. Template routes may use :param, regex routes $1..$9; the query string is kept.",
      }),
    ),
    preserveHost: Type.Optional(Type.Boolean({ description: "Forward the client's Host (default false)." })),
    fallback: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              status: Type.Integer({ minimum: 200, maximum: 599 }),
              body: Type.Optional(Type.String()),
              contentType: Type.Optional(Type.String({ minLength: 1 })),
            },
            { additionalProperties: false },
          ),
          Type.Object(
            { upstream: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }) },
            { additionalProperties: false },
          ),
        ],
        {
          description:
            "When no target can take the request (none healthy, breakers open): a static reply {status, body, contentType}, or {upstream} tried instead.",
        },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Integer({
            minimum: 1,
            maximum: 10,
            description: "Tries in all, the first included.",
          }),
          on: Type.Optional(
            Type.Array(
              Type.Union([
                Type.Literal("connect-failure"),
                Type.Literal("reset"),
                Type.Literal("timeout"),
                Type.Integer({ minimum: 500, maximum: 599 }),
              ]),
              { minItems: 1, description: 'Default ["connect-failure", "reset", 502, 503, 504].' },
            ),
          ),
          backoffBaseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
          backoffMaxMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
        },
        {
          additionalProperties: false,
          description:
            "Try again on another target. Only when safe: nothing was sent, or the method is idempotent and there is no body.",
        },
      ),
    ),
    timeouts: Type.Optional(Timeouts),
    policies: Type.Optional(policiesSchema),
  },
  { additionalProperties: false },
);

const HostPort = Type.Object(
  { host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
  { additionalProperties: false },
);

export const redisSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: "^rediss?://",
        description: "redis://[user:password@]host:port[/db]; rediss:// for TLS.",
      }),
    ),
    sentinels: Type.Optional(Type.Array(HostPort, { minItems: 1, description: "Sentinel addresses." })),
    name: Type.Optional(Type.String({ minLength: 1, description: "The Sentinel master name." })),
    cluster: Type.Optional(Type.Array(HostPort, { minItems: 1, description: "Redis Cluster seed nodes." })),
    password: Type.Optional(Type.String({ description: "Use ${ENV_VAR}; never logged." })),
    prefix: Type.Optional(
      Type.String({ pattern: "^[A-Za-z0-9:._-]{0,64}$", description: 'Key prefix (default "portcullis:").' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: "Longest any request waits on Redis (default 50).",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "The Redis shared by policies that keep state across gateways.",
  },
);

export const configSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(1),
    listeners: Type.Array(listenerSchema, { minItems: 1 }),
    admin: Type.Optional(
      Type.Object(
        {
          address: Type.Optional(
            Type.String({ description: "Default 127.0.0.1: keep the admin API off the edge." }),
          ),
          port: Type.Integer({ minimum: 0, maximum: 65535 }),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(limitsSchema),
    hygiene: Type.Optional(hygieneSchema),
    trustedProxies: Type.Optional(
      Type.Array(Cidr, { description: "Peers whose X-Forwarded-For is believed (default none)." }),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union(
              ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l)),
            ),
          ),
          accessLog: Type.Optional(
            Type.Boolean({ description: "One JSON line per request (default true)." }),
          ),
          format: Type.Optional(Type.Union([Type.Literal("ecs"), Type.Literal("pino")])),
        },
        { additionalProperties: false },
      ),
    ),
    upstreams: Type.Array(upstreamSchema, { minItems: 1 }),
    routes: Type.Array(routeSchema),
    policies: Type.Optional(policiesSchema),
    redis: Type.Optional(redisSchema),
    consumers: Type.Optional(
      Type.Array(consumerSchema, {
        description: "Named identities for authentication and per-consumer policies.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof configSchema>;
export type ListenerConfig = Static<typeof listenerSchema>;
export type UpstreamConfig = Static<typeof upstreamSchema>;
export type RouteConfig = Static<typeof routeSchema>;
export type LimitsConfig = Static<typeof limitsSchema>;
export type HygieneConfig = Static<typeof hygieneSchema>;
