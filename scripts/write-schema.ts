// Writes schema/portcullis.schema.json from the TypeBox config schema, for editors (yaml-language-server)
// and anyone validating a config outside the gateway. `npm run schema` after changing any schema;
// src/config/schema-file.test.ts fails while the committed file differs from what this writes.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configSchema } from "../src/config/schema.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("../schema/portcullis.schema.json", import.meta.url));

// Descriptions for the nodes the TypeBox schema leaves undescribed, so editors show help on every
// section. A description written in the schema itself always wins over these.
const DESCRIPTIONS: Record<string, string> = {
  "/properties/$schema": "Optional: the JSON Schema an editor should validate this file with.",
  "/properties/version": "Configuration format version. Always 1.",
  "/properties/listeners": "Where clients connect: one entry per listening socket.",
  "/properties/listeners/items/properties/port": "TCP port; 0 lets the system pick a free one (tests).",
  "/properties/listeners/items/properties/tls":
    "Serve TLS on this listener; HTTP/2 is negotiated by ALPN unless http2 is false.",
  "/properties/listeners/items/properties/tls/properties/minVersion":
    "Oldest TLS version accepted (default TLSv1.2).",
  "/properties/admin":
    "The admin API (health, readiness, metrics) on its own listener; on 127.0.0.1:8081 when absent.",
  "/properties/admin/properties/port": "TCP port of the admin listener.",
  "/properties/limits": "Request size and time limits, the same for every listener.",
  "/properties/hygiene": "What to do with requests that are legal HTTP but often used in attacks.",
  "/properties/log": "Logging: level, access log and record format.",
  "/properties/log/properties/level": "Lowest level written (default info).",
  "/properties/log/properties/format":
    "ecs: Elastic Common Schema fields (default); pino: pino's own fields.",
  "/properties/upstreams": "Named groups of backend servers that routes send requests to.",
  "/properties/upstreams/items/properties/targets":
    "The servers of this upstream; requests are balanced across them.",
  "/properties/upstreams/items/properties/targets/items/properties/weight":
    "Share of requests relative to the other targets (default 1).",
  "/properties/upstreams/items/properties/timeouts": "Time limits for talking to the targets.",
  "/properties/upstreams/items/properties/tls": "How https:// targets are verified.",
  "/properties/upstreams/items/properties/tls/properties/serverName":
    "SNI name sent to the targets and expected in their certificates (default: the target's host).",
  "/properties/routes": "Which requests go to which upstream; each request takes the best matching route.",
  "/properties/routes/items/properties/match":
    "What a request must look like to take this route; every condition given must hold.",
  "/properties/routes/items/properties/match/properties/headers":
    "Request headers that must match: header name → value match.",
  "/properties/routes/items/properties/match/properties/query":
    "Query parameters that must match: parameter name → value match.",
  "/properties/routes/items/properties/timeouts": "Overrides the upstream's timeouts for this route.",
};

type Node = { [key: string]: unknown };

function at(root: Node, pointer: string): Node | undefined {
  let node: unknown = root;
  for (const token of pointer.slice(1).split("/")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Node)[token];
  }
  return typeof node === "object" && node !== null ? (node as Node) : undefined;
}

/** The file's exact text: JSON with two-space indent and a final newline. */
export function renderSchemaFile(): string {
  // A JSON round trip gives a private copy without TypeBox's non-enumerable markers.
  const schema = JSON.parse(JSON.stringify(configSchema)) as Node;
  for (const [pointer, description] of Object.entries(DESCRIPTIONS)) {
    const node = at(schema, pointer);
    if (node === undefined) throw new Error(`write-schema: ${pointer} is not in the config schema any more`);
    if (node.description === undefined) node.description = description;
  }
  const file = {
    // TypeBox emits draft-07 keywords (tuples as `items: [...]`), and every editor understands draft-07.
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "urn:portcullis:config:v1",
    title: "Portcullis configuration",
    description:
      "Configuration of the Portcullis API gateway (version 1): listeners, upstreams, routes and policies. See docs/configuration.md.",
    ...schema,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

if (import.meta.main) {
  mkdirSync(fileURLToPath(new URL("../schema/", import.meta.url)), { recursive: true });
  writeFileSync(SCHEMA_FILE, renderSchemaFile());
  console.log(`wrote ${SCHEMA_FILE}`);
}
