import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { healthSchema, healthSpec } from "./config.ts";
import { resolveActive, resolveOutlier } from "./options.ts";

const validate = new Ajv({ strict: true, allErrors: true }).compile(healthSchema);

/** The example in docs/upstream/health.md, so the docs show a config the schema accepts. */
function docExample(): { health: unknown } {
  const md = readFileSync(new URL("../../../docs/upstream/health.md", import.meta.url), "utf8");
  const block = /```yaml\n([\s\S]*?)```/.exec(md);
  assert.ok(block, "docs/upstream/health.md has a yaml example");
  const doc = parse(block[1]) as { upstreams: { health: unknown }[] };
  return doc.upstreams[0];
}

test("the documented example is valid, and every option in it resolves", () => {
  const { health } = docExample();
  assert.equal(validate(health), true, JSON.stringify(validate.errors));
  const h = health as { active: Record<string, unknown>; passive: Record<string, unknown> };
  const active = resolveActive(h.active);
  for (const [k, v] of Object.entries(h.active)) assert.deepEqual(active[k as keyof typeof active], v, k);
  const outlier = resolveOutlier(h.passive);
  for (const [k, v] of Object.entries(h.passive)) assert.equal(outlier[k as keyof typeof outlier], v, k);
});

test("the schema refuses what the checkers would refuse", () => {
  const bad = [
    { active: { expectedStatuses: ["2xy"] } },
    { active: { expectedStatuses: [] } },
    { active: { path: "health" } },
    { active: { method: "POST" } },
    { active: { initialState: "healthy" } },
    { active: { intervalMs: 0 } },
    { passive: { maxEjectedPercent: 0 } },
    { passive: { consecutive5xx: -1 } },
    { passive: { unknown: 1 } },
    { other: {} },
  ];
  for (const h of bad) assert.equal(validate(h), false, JSON.stringify(h));
  assert.equal(validate({}), true);
  assert.equal(validate({ active: {}, passive: { consecutive5xx: 0 } }), true);
});

test("healthSpec: target ids are the URL host, as the cluster's Target.address", () => {
  const spec = healthSpec({
    name: "api",
    targets: [{ url: "http://10.0.0.1:8080" }, { url: "https://api.example.com/" }],
    http2: true,
    tls: { insecureSkipVerify: true },
    health: { active: { path: "/healthz" }, passive: { consecutive5xx: 3 } },
  });
  assert.deepEqual(spec, {
    name: "api",
    targets: [
      { id: "10.0.0.1:8080", origin: "http://10.0.0.1:8080" },
      { id: "api.example.com", origin: "https://api.example.com" },
    ],
    activeCheck: { path: "/healthz" },
    outlier: { consecutive5xx: 3 },
    http2: true,
    tls: { insecureSkipVerify: true },
  });
  assert.deepEqual(healthSpec({ name: "plain", targets: [{ url: "http://h:1" }] }), {
    name: "plain",
    targets: [{ id: "h:1", origin: "http://h:1" }],
  });
});
