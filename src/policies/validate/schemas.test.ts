import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LocalReply } from "../../pipeline/types.ts";
import { assertRefused } from "../testing.ts";
import { validatePolicy } from "./index.ts";
import type { ValidateOptions } from "./schema.ts";
import { create, PATH, request } from "./testing.ts";
import type { Violation } from "./violations.ts";

function refused(options: unknown, path: string, message: RegExp): void {
  assertRefused(() => create(options as ValidateOptions), path, message);
}

function errorsOf(reply: LocalReply | undefined): Violation[] {
  assert.ok(reply !== undefined, "expected a reply");
  assert.equal(reply.status, 400);
  assert.equal(reply.code, "VALIDATION_FAILED");
  return (reply.extensions as { errors: Violation[] }).errors;
}

/** The hook's result, required to be synchronous. */
function sync(options: ValidateOptions, req: ReturnType<typeof request>): LocalReply | undefined {
  const out = create(options).onRequest(req);
  assert.ok(!(out instanceof Promise), "expected a synchronous result");
  return out;
}

describe("validate policy: definition", () => {
  test("runs in the validate phase, after identity", () => {
    assert.equal(validatePolicy.name, "validate");
    assert.equal(validatePolicy.phase, "validate");
    assert.equal(validatePolicy.priority, 1000);
  });
});

describe("validate policy: configuration errors name the config path", () => {
  test("an invalid body schema", () => {
    refused({ schema: { body: { type: "strin" } } }, `${PATH}/schema/body`, /invalid JSON Schema/);
  });

  test("a misspelt keyword is refused instead of silently checking nothing", () => {
    refused(
      { schema: { query: { type: "object", requried: ["a"] } } },
      `${PATH}/schema/query`,
      /unknown keyword: "requried"/,
    );
  });

  test("an unknown format", () => {
    refused(
      { schema: { headers: { properties: { "x-a": { type: "string", format: "nope" } } } } },
      `${PATH}/schema/headers`,
      /unknown format "nope"/,
    );
  });

  test("a parameter schema that is not an object", () => {
    refused({ schema: { path: { type: "string" } } }, `${PATH}/schema/path/type`, /must describe an object/);
  });

  test("header names in upper case", () => {
    refused(
      { schema: { headers: { required: ["X-Api-Version"] } } },
      `${PATH}/schema/headers`,
      /lower case: write "x-api-version"/,
    );
  });

  test("an unsupported dialect", () => {
    refused(
      { schema: { body: { $schema: "http://json-schema.org/draft-04/schema#" } } },
      `${PATH}/schema/body/$schema`,
      /unsupported JSON Schema dialect/,
    );
  });

  test("schema and openapi together, or nothing at all", () => {
    refused({ schema: { body: {} }, openapi: { file: "x.yaml" } }, PATH, /either `schema` or `openapi`/);
    refused({}, PATH, /nothing to validate/);
    refused({ schema: {} }, PATH, /nothing to validate/);
    refused(
      { openapi: { file: "x.yaml" }, requireBody: true },
      `${PATH}/requireBody`,
      /requestBody.required/,
    );
  });

  test("the options schema itself is part of the config schema (registered)", async () => {
    const { POLICIES } = await import("../index.ts");
    assert.equal(POLICIES.validate, validatePolicy);
  });
});

describe("validate policy: path params", () => {
  const options: ValidateOptions = {
    schema: {
      path: { type: "object", properties: { id: { type: "integer", minimum: 1 } }, required: ["id"] },
    },
  };

  test("are coerced from strings", () => {
    assert.equal(sync(options, request({ params: { id: "42" } })), undefined);
  });

  test("report each violation at its name; the request's params stay strings", () => {
    const req = request({ params: { id: "0" } });
    assert.deepEqual(errorsOf(sync(options, req)), [{ in: "path", pointer: "/id", detail: "must be >= 1" }]);
    assert.deepEqual(errorsOf(sync(options, request({ params: { id: "x" } }))), [
      { in: "path", pointer: "/id", detail: "must be integer" },
    ]);
    assert.deepEqual(req.params, { id: "0" });
  });

  test("are percent-decoded before validation", () => {
    const hooks = create({ schema: { path: { properties: { name: { const: "a b" } } } } });
    assert.equal(hooks.onRequest(request({ params: { name: "a%20b" } })), undefined);
  });
});

describe("validate policy: query", () => {
  const options: ValidateOptions = {
    schema: {
      query: {
        type: "object",
        properties: {
          limit: { type: "integer", maximum: 100 },
          verbose: { type: "boolean" },
          tags: { type: "array", items: { type: "integer" } },
          q: { type: "string" },
        },
        required: ["limit"],
        additionalProperties: false,
      },
    },
  };

  test("coerces numbers and booleans, and gathers repeated keys into an array", () => {
    assert.equal(sync(options, request({ query: "limit=10&verbose=true&tags=1&tags=2" })), undefined);
  });

  test("a single value satisfies an array schema", () => {
    assert.equal(sync(options, request({ query: "limit=1&tags=7" })), undefined);
  });

  test("lists every violation with its pointer", () => {
    const errors = errorsOf(sync(options, request({ query: "verbose=maybe&tags=1&tags=x&extra=1&q=a&q=b" })));
    assert.deepEqual(
      errors.map((e) => [e.in, e.pointer, e.detail]),
      [
        ["query", "/limit", "is required"],
        ["query", "/extra", "is not allowed"],
        ["query", "/verbose", "must be boolean"],
        ["query", "/tags/1", "must be integer"],
        ["query", "/q", "must be string"],
      ],
    );
  });

  test("values are form-decoded", () => {
    const hooks = create({ schema: { query: { properties: { q: { const: "a b&c" } } } } });
    assert.equal(hooks.onRequest(request({ query: "q=a+b%26c" })), undefined);
  });

  test("a __proto__ key is an ordinary name", () => {
    const hooks = create({ schema: { query: { additionalProperties: false } } });
    const errors = errorsOf(hooks.onRequest(request({ query: "__proto__=1&__proto__=2" })) as LocalReply);
    assert.deepEqual(errors, [{ in: "query", pointer: "/__proto__", detail: "is not allowed" }]);
  });
});

describe("validate policy: headers", () => {
  const options: ValidateOptions = {
    schema: {
      headers: {
        type: "object",
        properties: {
          "x-api-version": { type: "integer", enum: [1, 2] },
          "x-token": { type: "string", pattern: "^tok_" },
          "x-flags": { type: "array", items: { enum: ["a", "b"] } },
        },
        required: ["x-api-version"],
      },
    },
  };

  test("are validated by lower-case name, coerced, and comma lists split for arrays", () => {
    const req = request({ headers: { "X-Api-Version": "2", "x-flags": "a, b", "x-token": "tok_1" } });
    assert.equal(sync(options, req), undefined);
  });

  test("a missing header is reported, values are never echoed", () => {
    const secret = "s3cr3t-value-never-echoed";
    const reply = sync(options, request({ headers: { "x-token": secret, "x-flags": "a, zz" } }));
    assert.deepEqual(errorsOf(reply), [
      { in: "header", pointer: "/x-api-version", detail: "is required" },
      { in: "header", pointer: "/x-token", detail: 'must match pattern "^tok_"' },
      { in: "header", pointer: "/x-flags/1", detail: "must be equal to one of the allowed values" },
    ]);
    assert.ok(!JSON.stringify(reply).includes(secret));
  });
});

describe("validate policy: JSON body", () => {
  const options: ValidateOptions = {
    schema: {
      body: {
        type: "object",
        required: ["items"],
        properties: {
          items: {
            type: "array",
            items: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string" }, qty: { type: "integer", minimum: 1 } },
            },
          },
          "a/b": { type: "string" },
        },
      },
    },
  };

  test("a valid body passes and is read once, under no limit of the policy's own", async () => {
    const req = request({ body: { items: [{ name: "x", qty: 2 }] } });
    assert.equal(await create(options).onRequest(req), undefined);
    assert.deepEqual(req.reads, [undefined]);
  });

  test("lists every violation with a pointer inside the body, and no body content", async () => {
    const req = request({ body: { items: [{ name: 1 }, { qty: 0, name: "secret-body-text" }], "a/b": 5 } });
    const reply = await create(options).onRequest(req);
    assert.deepEqual(errorsOf(reply), [
      { in: "body", pointer: "/items/0/name", detail: "must be string" },
      { in: "body", pointer: "/items/1/qty", detail: "must be >= 1" },
      { in: "body", pointer: "/a~1b", detail: "must be string" },
    ]);
    assert.ok(!JSON.stringify(reply).includes("secret-body-text"));
  });

  test("a JSON body is never coerced", async () => {
    const hooks = create({ schema: { body: { type: "object", properties: { n: { type: "integer" } } } } });
    assert.deepEqual(errorsOf(await hooks.onRequest(request({ body: { n: "7" } }))), [
      { in: "body", pointer: "/n", detail: "must be integer" },
    ]);
  });

  test("malformed JSON is a 400 that says where, not what", async () => {
    const body = Buffer.from('{"password": hunter2}');
    const req = request({ body, headers: { "content-type": "application/json" } });
    const errors = errorsOf(await create(options).onRequest(req));
    assert.equal(errors.length, 1);
    assert.equal(errors[0].in, "body");
    assert.equal(errors[0].pointer, "");
    assert.match(errors[0].detail, /^is not valid JSON/);
    assert.ok(!errors[0].detail.includes("hunter2"));
  });

  test("truncated JSON and bytes that are not UTF-8", async () => {
    const hooks = create(options);
    const truncated = request({
      body: Buffer.from('{"items": ['),
      headers: { "content-type": "application/json" },
    });
    assert.match(errorsOf(await hooks.onRequest(truncated))[0].detail, /is not valid JSON/);
    const latin1 = request({
      body: Buffer.from([0x22, 0xe9, 0x22]),
      headers: { "content-type": "application/json" },
    });
    assert.match(errorsOf(await hooks.onRequest(latin1))[0].detail, /UTF-8/);
  });

  test("reports are capped at 20 violations, the detail gives the full count", async () => {
    const hooks = create({ schema: { body: { type: "array", items: { type: "string" } } } });
    const reply = await hooks.onRequest(request({ body: Array.from({ length: 30 }, (_, i) => i) }));
    const errors = errorsOf(reply);
    assert.equal(errors.length, 20);
    assert.equal(errors[19].pointer, "/19");
    assert.match(reply?.detail ?? "", /30 violations, the first 20 listed/);
  });

  test("data nested past the stack is a violation, not a fault", async () => {
    const hooks = create({
      schema: { body: { $defs: { t: { type: "array", items: { $ref: "#/$defs/t" } } }, $ref: "#/$defs/t" } },
    });
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const req = request({ body: Buffer.from(deep), headers: { "content-type": "application/json" } });
    assert.deepEqual(errorsOf(await hooks.onRequest(req)), [
      { in: "body", pointer: "", detail: "is nested too deeply to validate" },
    ]);
  });

  test("a request without a body is not validated unless requireBody is set", () => {
    assert.equal(sync(options, request({ method: "POST" })), undefined);
    const errors = errorsOf(sync({ ...options, requireBody: true }, request({ method: "POST" })));
    assert.deepEqual(errors, [{ in: "body", pointer: "", detail: "is required" }]);
  });

  test("a draft-07 schema is compiled as draft-07", async () => {
    const hooks = create({
      schema: {
        body: {
          $schema: "http://json-schema.org/draft-07/schema#",
          type: "array",
          items: [{ type: "string" }, { type: "integer" }],
        },
      },
    });
    assert.equal(await hooks.onRequest(request({ body: ["a", 1] })), undefined);
    assert.deepEqual(errorsOf(await hooks.onRequest(request({ body: ["a", "b"] }))), [
      { in: "body", pointer: "/1", detail: "must be integer" },
    ]);
  });

  test("parameter and body violations come in one reply", async () => {
    const hooks = create({ ...options, schema: { ...options.schema, query: { required: ["v"] } } });
    const errors = errorsOf(await hooks.onRequest(request({ body: {} })));
    assert.deepEqual(
      errors.map((e) => `${e.in}${e.pointer}`),
      ["query/v", "body/items"],
    );
  });
});

describe("validate policy: stays cheap", () => {
  test("query and header checks are synchronous and never read the body", () => {
    const options: ValidateOptions = {
      schema: { query: { required: ["a"] }, headers: { required: ["x-a"] } },
    };
    const req = request({ body: { big: "payload" }, query: "a=1", headers: { "x-a": "1" } });
    assert.equal(sync(options, req), undefined);
    assert.deepEqual(req.reads, []);
  });

  test("validators are compiled once: the same hooks serve many requests", async () => {
    const hooks = create({ schema: { body: { type: "object", required: ["a"] } } });
    for (let i = 0; i < 3; i++) {
      assert.equal(await hooks.onRequest(request({ body: { a: i } })), undefined);
      assert.ok((await hooks.onRequest(request({ body: {} }))) !== undefined);
    }
  });
});
