// The published JSON Schema and the reference docs must say what the code enforces.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { renderSchemaFile, SCHEMA_FILE } from "../../scripts/write-schema.ts";
import { configSchema } from "./schema.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("schema/portcullis.schema.json is what scripts/write-schema.ts writes (run `npm run schema`)", () => {
  assert.equal(readFileSync(SCHEMA_FILE, "utf8"), renderSchemaFile());
});

test("the published file is a strict draft-07 schema that judges the examples like the loader does", () => {
  const published = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
  assert.equal(published.$schema, "http://json-schema.org/draft-07/schema#");
  assert.ok(published.$id && published.title && published.description);
  const validate = new Ajv({ strict: true, allErrors: true }).compile(published);
  // An editor sees the text before interpolation: the example keeps its ${...} where any string is
  // allowed, so it shows no false alarms (see docs/configuration.md, "Editor support").
  const full = parse(readFileSync(path.join(root, "examples/full.yaml"), "utf8"));
  assert.ok(validate(full), JSON.stringify(validate.errors));
  const invalid = parse(readFileSync(path.join(root, "examples/invalid.yaml"), "utf8"), {
    uniqueKeys: false,
  });
  assert.equal(validate(invalid), false);
});

test("every example names the schema for yaml-language-server", () => {
  const dir = path.join(root, "examples");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.includes("full.yaml") && files.includes("invalid.yaml"));
  for (const f of files) {
    const first = readFileSync(path.join(dir, f), "utf8").split("\n", 1)[0];
    assert.equal(first, "# yaml-language-server: $schema=../schema/portcullis.schema.json", f);
  }
});

test("docs/configuration.md names every key outside `policies` (each policy documents its own)", () => {
  const docs = readFileSync(path.join(root, "docs/configuration.md"), "utf8");
  const missing: string[] = [];
  const walk = (schema: Record<string, unknown>, at: string) => {
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      for (const branch of (schema[k] as Record<string, unknown>[] | undefined) ?? []) walk(branch, at);
    }
    if (schema.items && typeof schema.items === "object") walk(schema.items as Record<string, unknown>, at);
    for (const [key, sub] of Object.entries(
      (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      if (key === "policies") continue;
      // As `key` or at the end of a dotted path such as `tls.certificates[].cert`.
      const escaped = key.replace(/[$]/g, "\\$&");
      if (!new RegExp(`[\`.]${escaped}[\`.[]`).test(docs)) missing.push(`${at}.${key}`);
      walk(sub, `${at}.${key}`);
    }
  };
  walk(configSchema as unknown as Record<string, unknown>, "");
  assert.deepEqual(missing, []);
});
