// The validate policy through a running gateway and a real upstream: valid requests arrive with their
// body byte for byte (also chunked, also after "Expect: 100-continue"), refused ones never arrive.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { stringify } from "yaml";
import { baseConfig, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startUpstream, type TestUpstream } from "../helpers/upstream.ts";

interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through node:http, so framing (chunked, Expect) is exactly as written here. */
function exchange(
  url: string,
  options: { method?: string; headers?: Record<string, string>; pieces?: Buffer[]; expectContinue?: boolean },
): Promise<Exchange & { continued: boolean }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request(url, {
      method: options.method ?? "POST",
      headers: options.headers,
      agent: false,
    });
    const writeBody = () => {
      for (const piece of options.pieces ?? []) req.write(piece);
      req.end();
    };
    req.on("continue", () => {
      continued = true;
      writeBody();
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, continued }));
      // A refusal before "100 Continue" leaves the body unsent: the request is done.
      if (options.expectContinue && !continued) req.destroy();
    });
    req.on("error", (err) => {
      if (!req.destroyed || !continued) reject(err);
    });
    if (options.expectContinue) req.flushHeaders();
    else writeBody();
  });
}

const ORDER_SCHEMA = {
  type: "object",
  required: ["items"],
  additionalProperties: false,
  properties: {
    items: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["sku", "qty"],
        properties: {
          sku: { type: "string", pattern: "^[A-Z]{3}-\\d+$" },
          qty: { type: "integer", minimum: 1 },
        },
      },
    },
    note: { type: "string" },
  },
};

const PETS = {
  openapi: "3.1.0",
  info: { title: "Pets", version: "1" },
  paths: {
    "/pets/{petId}": {
      put: {
        parameters: [{ name: "petId", in: "path", required: true, schema: { type: "integer", minimum: 1 } }],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } },
        },
        responses: { "200": { description: "ok" } },
      },
    },
  },
  components: {
    schemas: {
      Pet: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string" }, tag: { type: ["string", "null"] } },
      },
    },
  },
};

describe("validate policy through the gateway", () => {
  let up: TestUpstream;
  let gw: TestGateway;
  let dir: string;

  before(async () => {
    up = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), "portcullis-validate-"));
    const petsFile = join(dir, "pets.yaml");
    await writeFile(petsFile, stringify(PETS));
    gw = await startTestGateway(
      baseConfig({
        upstreams: [{ name: "up", targets: [{ url: up.url }] }],
        routes: [
          {
            name: "orders",
            match: { path: "/orders/:shop", pathType: "template" },
            upstream: "up",
            policies: {
              validate: {
                schema: {
                  path: { properties: { shop: { type: "string", enum: ["eu", "us"] } } },
                  query: { properties: { dryRun: { type: "boolean" } }, additionalProperties: false },
                  headers: {
                    required: ["x-client"],
                    properties: { "x-client": { type: "string", minLength: 3 } },
                  },
                  body: ORDER_SCHEMA,
                },
                maxBodyBytes: 256,
              },
            },
          },
          {
            name: "pets",
            match: { path: "/api" },
            upstream: "up",
            policies: { validate: { openapi: { file: petsFile, pathPrefix: "/api" } } },
          },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });

  const order = Buffer.from(JSON.stringify({ items: [{ sku: "ABC-1", qty: 2 }], note: "caf\u00e9 \u2615" }));
  const headers = { "content-type": "application/json; charset=utf-8", "x-client": "shop-app" };

  test("a valid request reaches the upstream with its body intact", async () => {
    const before = up.seen.length;
    const res = await request(`${gw.url}/orders/eu?dryRun=true`, { method: "POST", headers, body: order });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(up.seen.length, before + 1);
    const seen = up.seen[before];
    assert.equal(seen.url, "/orders/eu?dryRun=true");
    assert.ok(seen.body.equals(order));
    assert.equal(seen.headers["content-length"], String(order.length));
  });

  test("a chunked body is validated and forwarded whole", async () => {
    const before = up.seen.length;
    const res = await exchange(`${gw.url}/orders/us`, {
      headers: { ...headers, "transfer-encoding": "chunked" },
      pieces: [order.subarray(0, 7), order.subarray(7, 20), order.subarray(20)],
    });
    assert.equal(res.status, 200);
    assert.ok(up.seen[before].body.equals(order));
  });

  test("Expect: 100-continue gets its 100 when the body is wanted, then the body goes upstream", async () => {
    const before = up.seen.length;
    const res = await exchange(`${gw.url}/orders/eu`, {
      headers: { ...headers, "content-length": String(order.length), expect: "100-continue" },
      pieces: [order],
      expectContinue: true,
    });
    assert.equal(res.status, 200);
    assert.ok(res.continued);
    assert.ok(up.seen[before].body.equals(order));
  });

  test("an invalid request is a 400 problem listing each violation, and never reaches the upstream", async () => {
    const before = up.seen.length;
    const bad = JSON.stringify({ items: [{ sku: "abc", qty: 0 }, { qty: "2" }], extra: "top-secret-body" });
    const res = await request(`${gw.url}/orders/mars?dryRun=perhaps`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-client": "ab" },
      body: bad,
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers["content-type"], "application/problem+json");
    const text = await res.body.text();
    const problem = JSON.parse(text) as {
      code: string;
      errors: { in: string; pointer: string; detail: string }[];
    };
    assert.equal(problem.code, "VALIDATION_FAILED");
    assert.deepEqual(
      problem.errors.map((e) => `${e.in} ${e.pointer}`),
      [
        "path /shop",
        "query /dryRun",
        "header /x-client",
        "body /extra",
        "body /items/0/sku",
        "body /items/0/qty",
        "body /items/1/sku",
        "body /items/1/qty",
      ],
    );
    assert.ok(!text.includes("top-secret-body"));
    assert.equal(up.seen.length, before);
  });

  test("malformed JSON is a 400 naming the body", async () => {
    const before = up.seen.length;
    const res = await request(`${gw.url}/orders/eu`, { method: "POST", headers, body: '{"items": [' });
    assert.equal(res.statusCode, 400);
    const problem = (await res.body.json()) as { errors: { in: string; detail: string }[] };
    assert.equal(problem.errors[0].in, "body");
    assert.match(problem.errors[0].detail, /not valid JSON/);
    assert.equal(up.seen.length, before);
  });

  test("a body over maxBodyBytes is a 413, announced or chunked", async () => {
    const before = up.seen.length;
    const big = Buffer.from(JSON.stringify({ items: [{ sku: "ABC-1", qty: 1 }], note: "x".repeat(300) }));
    const announced = await exchange(`${gw.url}/orders/eu`, {
      headers: { ...headers, "content-length": String(big.length), expect: "100-continue" },
      pieces: [big],
      expectContinue: true,
    });
    assert.equal(announced.status, 413);
    assert.equal(announced.continued, false, "refused before the client sent the body");
    const chunked = await exchange(`${gw.url}/orders/eu`, {
      headers: { ...headers, "transfer-encoding": "chunked" },
      pieces: [big.subarray(0, 100), big.subarray(100)],
    });
    assert.equal(chunked.status, 413);
    assert.equal(JSON.parse(chunked.body).code, "BODY_TOO_LARGE");
    assert.equal(up.seen.length, before);
  });

  test("a body of a type the route does not take is a 415", async () => {
    const before = up.seen.length;
    const res = await request(`${gw.url}/orders/eu`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-client": "shop-app" },
      body: "items=1",
    });
    assert.equal(res.statusCode, 415);
    assert.equal(((await res.body.json()) as { code: string }).code, "UNSUPPORTED_MEDIA_TYPE");
    assert.equal(up.seen.length, before);
  });

  test("an OpenAPI route: the operation is found under the prefix and its schemas apply", async () => {
    const before = up.seen.length;
    const pet = JSON.stringify({ name: "Rex", tag: null });
    const good = await request(`${gw.url}/api/pets/3`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: pet,
    });
    assert.equal(good.statusCode, 200);
    await good.body.text();
    assert.equal(up.seen[before].body.toString(), pet);

    const bad = await request(`${gw.url}/api/pets/0`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tag: 1 }),
    });
    assert.equal(bad.statusCode, 400);
    const problem = (await bad.body.json()) as { errors: unknown[] };
    assert.deepEqual(problem.errors, [
      { in: "path", pointer: "/petId", detail: "must be >= 1" },
      { in: "body", pointer: "/name", detail: "is required" },
      { in: "body", pointer: "/tag", detail: "must be string,null" },
    ]);

    const unknown = await request(`${gw.url}/api/owners`);
    assert.equal(unknown.statusCode, 400);
    await unknown.body.text();
    assert.equal(up.seen.length, before + 1);
  });
});
