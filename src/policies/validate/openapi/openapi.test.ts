import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import { type LocalReply, PolicyConfigError } from "../../../pipeline/types.ts";
import type { ValidateOptions } from "../schema.ts";
import { create, PATH, request } from "../testing.ts";
import type { Violation } from "../violations.ts";
import { checkSpecificationFile } from "./spec-check.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-openapi-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function write(doc: unknown, ext: "yaml" | "json" = "yaml"): string {
  const file = join(dir, `doc-${++files}.${ext}`);
  writeFileSync(file, ext === "json" ? JSON.stringify(doc) : stringify(doc));
  return file;
}

function errorsOf(reply: LocalReply | undefined): Violation[] {
  assert.ok(reply !== undefined, "expected a reply");
  assert.equal(reply.status, 400);
  return (reply.extensions as { errors: Violation[] }).errors;
}

function refused(options: ValidateOptions, message: RegExp): void {
  assert.throws(
    () => create(options),
    (err: unknown) => {
      assert.ok(err instanceof PolicyConfigError, `expected PolicyConfigError, got ${err}`);
      assert.equal(err.path, `${PATH}/openapi/file`);
      assert.match(err.message, message);
      return true;
    },
  );
}

const info = { title: "Pets", version: "1" };
const ok = { "200": { description: "ok" } };

const PETS_30 = {
  openapi: "3.0.3",
  info,
  paths: {
    "/pets": {
      get: {
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", maximum: 50 } },
          { name: "ids", in: "query", explode: false, schema: { type: "array", items: { type: "integer" } } },
          { name: "tags", in: "query", schema: { type: "array", items: { type: "string" } } },
        ],
        responses: ok,
      },
      post: {
        requestBody: { $ref: "#/components/requestBodies/NewPet" },
        responses: ok,
      },
    },
    "/pets/mine": { get: { responses: ok } },
    "/pets/{petId}": {
      parameters: [{ $ref: "#/components/parameters/PetId" }],
      get: { responses: ok },
      put: {
        parameters: [
          { name: "X-Trace", in: "header", required: true, schema: { type: "string", format: "uuid" } },
        ],
        requestBody: {
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/Pet" } },
            "text/plain": { schema: { type: "string" } },
          },
        },
        responses: ok,
      },
    },
  },
  components: {
    parameters: {
      PetId: { name: "petId", in: "path", required: true, schema: { type: "integer", minimum: 1 } },
    },
    requestBodies: {
      NewPet: {
        required: true,
        content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } },
      },
    },
    schemas: {
      Pet: {
        type: "object",
        required: ["id", "name"],
        properties: {
          id: { type: "integer", readOnly: true },
          name: { type: "string", example: "Rex" },
          nick: { type: "string", nullable: true },
          owner: { allOf: [{ $ref: "#/components/schemas/Owner" }], nullable: true },
          age: { type: "integer", minimum: 0, exclusiveMinimum: true },
          kids: { type: "array", items: { $ref: "#/components/schemas/Pet" } },
        },
        example: { nullable: true, id: 1 },
      },
      Owner: {
        type: "object",
        required: ["email"],
        properties: { email: { type: "string", format: "email" } },
      },
    },
  },
};

describe("openapi 3.0", () => {
  const file = write(PETS_30);
  const hooks = create({ openapi: { file } });
  const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

  test("a valid request passes (readOnly id not required, nullable accepted)", async () => {
    const req = request({
      method: "PUT",
      path: "/pets/7",
      headers: { "x-trace": uuid },
      body: { name: "Rex", nick: null, owner: null, kids: [{ name: "Pup" }] },
    });
    assert.equal(await hooks.onRequest(req), undefined);
  });

  test("every location is checked through $refs, with coercion and pointers", async () => {
    const req = request({
      method: "PUT",
      path: "/pets/0",
      body: { name: 5, age: 0, owner: { email: "nope" }, kids: [{ kids: [{ name: "x", nick: 3 }] }] },
    });
    assert.deepEqual(errorsOf(await hooks.onRequest(req)), [
      { in: "path", pointer: "/petId", detail: "must be >= 1" },
      { in: "header", pointer: "/x-trace", detail: "is required" },
      { in: "body", pointer: "/name", detail: "must be string" },
      { in: "body", pointer: "/owner/email", detail: 'must match format "email"' },
      { in: "body", pointer: "/owner", detail: "must be null" },
      { in: "body", pointer: "/owner", detail: "must match a schema in anyOf" },
      { in: "body", pointer: "/age", detail: "must be > 0" },
      { in: "body", pointer: "/kids/0/name", detail: "is required" },
      { in: "body", pointer: "/kids/0/kids/0/nick", detail: "must be string,null" },
    ]);
  });

  test("query arrays: repeated keys (form, explode) and comma lists (explode: false)", () => {
    assert.equal(
      hooks.onRequest(request({ path: "/pets", query: "limit=5&ids=1,2,3&tags=a&tags=b" })),
      undefined,
    );
    assert.deepEqual(
      errorsOf(hooks.onRequest(request({ path: "/pets", query: "limit=x&ids=1,b" })) as LocalReply),
      [
        { in: "query", pointer: "/limit", detail: "must be integer" },
        { in: "query", pointer: "/ids/1", detail: "must be integer" },
      ],
    );
  });

  test("a required request body through a $ref'd requestBody", () => {
    const out = hooks.onRequest(request({ method: "POST", path: "/pets" }));
    assert.deepEqual(errorsOf(out as LocalReply), [{ in: "body", pointer: "", detail: "is required" }]);
  });

  test("the operation's media types are the allow-list; non-JSON ones are not parsed", async () => {
    const xml = request({
      method: "PUT",
      path: "/pets/1",
      headers: { "x-trace": uuid, "content-type": "application/xml" },
      body: "<a/>",
    });
    assert.equal((hooks.onRequest(xml) as LocalReply).status, 415);
    const text = request({
      method: "PUT",
      path: "/pets/1",
      headers: { "x-trace": uuid, "content-type": "text/plain" },
      body: "hi",
    });
    assert.equal(hooks.onRequest(text), undefined);
  });

  test("a literal path wins over a template", () => {
    assert.equal(hooks.onRequest(request({ path: "/pets/mine" })), undefined);
  });

  test("HEAD is checked as GET when the document has no head operation", () => {
    const out = hooks.onRequest(request({ method: "HEAD", path: "/pets/x" }));
    assert.deepEqual(errorsOf(out as LocalReply), [
      { in: "path", pointer: "/petId", detail: "must be integer" },
    ]);
  });

  test("an unknown operation is refused by default", () => {
    const noPath = errorsOf(hooks.onRequest(request({ path: "/owners" })) as LocalReply);
    assert.deepEqual(noPath, [
      { in: "path", pointer: "", detail: "no path of the API description matches this path" },
    ]);
    const noMethod = errorsOf(hooks.onRequest(request({ method: "DELETE", path: "/pets/1" })) as LocalReply);
    assert.match(noMethod[0].detail, /no operation for this method/);
  });

  test("unknownOperations: allow lets it through, still under contentTypes and maxBodyBytes", () => {
    const open = create({
      openapi: { file, unknownOperations: "allow" },
      contentTypes: ["application/json"],
    });
    assert.equal(open.onRequest(request({ path: "/owners", body: {} })), undefined);
    const out = open.onRequest(
      request({ path: "/owners", body: "x", headers: { "content-type": "text/plain" } }),
    );
    assert.equal((out as LocalReply).status, 415);
  });

  test("pathPrefix is removed before matching; paths outside it are unknown", () => {
    const prefixed = create({ openapi: { file, pathPrefix: "/api/v1/" } });
    assert.equal(prefixed.onRequest(request({ path: "/api/v1/pets/mine" })), undefined);
    assert.equal((prefixed.onRequest(request({ path: "/api/v1/pets/x" })) as LocalReply).status, 400);
    assert.equal((prefixed.onRequest(request({ path: "/api/v10/pets/mine" })) as LocalReply).status, 400);
  });

  test("a path relative to the working directory is accepted", () => {
    assert.doesNotThrow(() => create({ openapi: { file: relative(process.cwd(), file) } }));
  });
});

const TREE_31 = {
  openapi: "3.1.0",
  info,
  paths: {
    "/files/{name}.{ext}": {
      post: {
        parameters: [
          { name: "name", in: "path", required: true, schema: { type: "string", pattern: "^[a-z]+$" } },
          { name: "ext", in: "path", required: true, schema: { enum: ["json", "txt"] } },
          { name: "v", in: "query", schema: { type: ["integer", "null"] } },
        ],
        requestBody: {
          content: { "application/*+json": { schema: { $ref: "#/components/schemas/Node" } } },
        },
        responses: ok,
      },
    },
  },
  components: {
    schemas: {
      Node: {
        $schema: "https://spec.openapis.org/oas/3.1/dialect/base",
        type: "object",
        required: ["label"],
        properties: {
          label: { type: ["string", "null"] },
          children: { type: "array", items: { $ref: "#/components/schemas/Node" }, maxItems: 2 },
        },
        unevaluatedProperties: false,
      },
    },
  },
};

describe("openapi 3.1", () => {
  const hooks = create({ openapi: { file: write(TREE_31, "json") } });
  const post = (path: string, body: unknown, query = "") =>
    request({ method: "POST", path, query, body, headers: { "content-type": "application/vnd.tree+json" } });

  test("JSON Schema 2020-12 with recursive $refs and type lists", async () => {
    const body = { label: null, children: [{ label: "a", children: [] }, { label: "b" }] };
    assert.equal(await hooks.onRequest(post("/files/report.json", body, "v=3")), undefined);
  });

  test("violations at every depth, templates with several params per segment", async () => {
    const body = { label: 1, extra: true, children: [{ label: "a", children: [{}, {}, {}] }] };
    assert.deepEqual(errorsOf(await hooks.onRequest(post("/files/Report.exe", body, "v=x"))), [
      { in: "path", pointer: "/name", detail: 'must match pattern "^[a-z]+$"' },
      { in: "path", pointer: "/ext", detail: "must be equal to one of the allowed values" },
      { in: "query", pointer: "/v", detail: "must be integer,null" },
      { in: "body", pointer: "/label", detail: "must be string,null" },
      { in: "body", pointer: "/children/0/children", detail: "must NOT have more than 2 items" },
      { in: "body", pointer: "/children/0/children/0/label", detail: "is required" },
      { in: "body", pointer: "/children/0/children/1/label", detail: "is required" },
      { in: "body", pointer: "/children/0/children/2/label", detail: "is required" },
      { in: "body", pointer: "/extra", detail: "is not allowed" },
    ]);
  });
});

describe("openapi: documents that are refused when the configuration loads", () => {
  test("a file that does not exist", () => {
    refused(
      { openapi: { file: join(dir, "missing.yaml") } },
      /cannot read the OpenAPI document .*missing\.yaml \(ENOENT\)/,
    );
  });

  test("a file that is not YAML", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "openapi: [3.0\n");
    refused({ openapi: { file } }, /is not valid YAML/);
  });

  test("Swagger 2.0 and OpenAPI 3.2", () => {
    refused(
      { openapi: { file: write({ swagger: "2.0", info, paths: {} }) } },
      /Swagger 2.0 is not supported/,
    );
    refused({ openapi: { file: write({ openapi: "3.2.0", info, paths: {} }) } }, /only 3.0.x and 3.1.x/);
  });

  test("a document the specification does not allow (checked by @readme/openapi-parser at load)", async () => {
    const doc = { ...PETS_30, info: { title: "no version" } };
    const file = write(doc);
    const verdict = await checkSpecificationFile(file);
    assert.equal(verdict.valid, false);
    refused({ openapi: { file } }, /not a valid OpenAPI document: .*version/s);
    assert.deepEqual(await checkSpecificationFile(write(PETS_30)), { valid: true });
  });

  test("a $ref to a component that does not exist", () => {
    const doc = {
      openapi: "3.0.3",
      info,
      paths: {
        "/a": {
          post: {
            requestBody: {
              content: { "application/json": { schema: { $ref: "#/components/schemas/Nope" } } },
            },
            responses: ok,
          },
        },
      },
    };
    refused({ openapi: { file: write(doc) } }, /Nope/);
  });

  test("a $ref to another file", () => {
    const doc = {
      openapi: "3.1.0",
      info,
      paths: {
        "/a": {
          post: {
            requestBody: { content: { "application/json": { schema: { $ref: "other.yaml#/Pet" } } } },
            responses: ok,
          },
        },
      },
    };
    refused(
      { openapi: { file: write(doc) } },
      /"other.yaml#\/Pet" at \/paths\/~1a\/post\/requestBody\/content\/application~1json\/schema points outside/,
    );
  });
});

describe("openapi: the example document of docs/policies/validate.md", () => {
  const hooks = create({
    openapi: { file: new URL("./petstore.yaml", import.meta.url).pathname, pathPrefix: "/store" },
  });

  test("valid requests pass", async () => {
    assert.equal(hooks.onRequest(request({ path: "/store/pets", query: "limit=10&tag=a&tag=b" })), undefined);
    const pet = { name: "Rex", tag: null, parent: { name: "Max", birthday: "2020-02-29" } };
    assert.equal(
      await hooks.onRequest(request({ method: "POST", path: "/store/pets", body: pet })),
      undefined,
    );
  });

  test("invalid ones are listed", async () => {
    const body = { name: "", parent: { name: "Max", birthday: "2021-02-29", color: "red" } };
    assert.deepEqual(
      errorsOf(await hooks.onRequest(request({ method: "POST", path: "/store/pets", body }))),
      [
        { in: "body", pointer: "/name", detail: "must NOT have fewer than 1 characters" },
        { in: "body", pointer: "/parent/color", detail: "is not allowed" },
        { in: "body", pointer: "/parent/birthday", detail: 'must match format "date"' },
      ],
    );
    assert.deepEqual(
      errorsOf(hooks.onRequest(request({ method: "DELETE", path: "/store/pets/0" })) as LocalReply),
      [
        { in: "path", pointer: "/petId", detail: "must be >= 1" },
        { in: "header", pointer: "/x-reason", detail: "is required" },
      ],
    );
  });
});
