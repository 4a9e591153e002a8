// The policy table, and the YAML examples in docs/policies/<name>.md: each must pass the policy's schema
// and its create(), except those marked "# refused", which create() must refuse.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { Consumers } from "../consumers/directory.ts";
import type { ConsumerConfig } from "../consumers/schema.ts";
import { PHASES, PolicyConfigError, type PolicyContext } from "../pipeline/types.ts";
import { POLICIES } from "./index.ts";
import { fakeServices, policyContext } from "./testing.ts";

const DOCS = new URL("../../docs/policies/", import.meta.url);

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Every `policies.<name>` in a config fragment: top level and per route. */
function optionsIn(doc: Record<string, unknown>, name: string): unknown[] {
  const found: unknown[] = [];
  const take = (policies: unknown) => {
    const options = (policies as Record<string, unknown> | undefined)?.[name];
    if (options !== undefined) found.push(options);
  };
  take(doc.policies);
  for (const route of (doc.routes as { policies?: unknown }[] | undefined) ?? []) take(route.policies);
  return found;
}

describe("policy table", () => {
  test("each entry is keyed by its name and has a valid phase and a closed object schema", () => {
    for (const [key, def] of Object.entries(POLICIES)) {
      assert.equal(def.name, key);
      assert.ok(PHASES.includes(def.phase), `${key}: phase ${def.phase}`);
      assert.ok(Number.isInteger(def.priority));
      const schema = def.schema as { type?: unknown; additionalProperties?: unknown };
      assert.equal(schema.type, "object");
      assert.equal(schema.additionalProperties, false);
    }
  });
});

for (const [name, def] of Object.entries(POLICIES)) {
  describe(`docs/policies/${name}.md examples`, () => {
    const blocks = yamlBlocks(readFileSync(new URL(`${name}.md`, DOCS), "utf8"));
    const validate = new Ajv({ allErrors: true }).compile(def.schema);

    test("there are examples, both accepted and refused", () => {
      assert.ok(blocks.some((b) => !b.startsWith("# refused")));
      assert.ok(blocks.some((b) => b.startsWith("# refused")));
    });

    blocks.forEach((block, i) => {
      const refused = block.startsWith("# refused");
      test(`example ${i + 1} is ${refused ? "refused" : "accepted"}`, () => {
        const doc = parse(block);
        const all = optionsIn(doc, name);
        // An example may declare the consumers its policy names and the Redis it uses.
        const consumers = Consumers.compile(doc.consumers as ConsumerConfig[] | undefined).consumers;
        assert.equal(all.length, 1, "one policy entry per example");
        const options = all[0];
        assert.ok(validate(options), JSON.stringify(validate.errors));
        const create = () =>
          (def.create as (o: unknown, c: PolicyContext) => unknown)(
            options,
            policyContext("/x", fakeServices({ consumers, redis: doc.redis })),
          );
        if (refused) assert.throws(create, PolicyConfigError);
        else assert.doesNotThrow(create);
      });
    });
  });
}
